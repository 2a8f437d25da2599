"""The screening itself: the criteria as data, the eligibility engine, one conversation.

Plain Python with no database and no Rasa: what a message means for the pending
question, what is recorded, the outcome, and the words the person is sent (the
message catalogue in ``messages/`` and the criteria files in ``trials/``).
"""

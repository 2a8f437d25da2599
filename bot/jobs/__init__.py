"""Work done outside a conversation turn, by workers or on request.

The referral mail outbox (``python -m bot outbox``), erasure and the retention job
(``python -m bot erase`` / ``retention``), and the analytics consumer of Rasa's event
broker (``python -m bot analytics``).
"""

"""The application database: models, engines and migrations, the queries, the recorder.

Also reads (and, for erasure, deletes) Rasa's tracker store as transcripts.
"""

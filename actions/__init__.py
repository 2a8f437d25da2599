"""Custom actions: thin rasa_sdk adapters around the domain core in ``bot/``.

One module per action. Slot and intent names live in :mod:`actions.constants`; no
eligibility rule lives here.
"""

"""Rasa's own stores, made to survive the faults production meets.

Named by ``type:`` in ``deploy/endpoints.production.yml`` (Rasa loads a custom
store by its module path). Like ``nlu_ext`` and ``channels``, this package adapts
Rasa; ``bot/`` stays free of Rasa imports.

* :class:`stores.tracker_store.ResilientSQLTrackerStore`: Rasa's SQL tracker store
  that waits out a database restart instead of answering from an empty
  conversation or keeping a turn in memory only.
* :class:`stores.lock_store.RedisTicketLockStore`: Rasa's Redis lock store without
  the endless wait after a replica died holding a conversation's lock.
"""

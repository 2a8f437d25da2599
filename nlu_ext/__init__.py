"""Custom Rasa NLU components of the assistant (thin adapters over ``bot/``).

Importing the package also removes two repeated costs of every Rasa turn without
changing what Rasa does (``nlu_ext.speedups``: see there, and README "Benchmark").
"""

from nlu_ext import speedups
from nlu_ext.command_keywords import CommandKeywords
from nlu_ext.input_guard import InputGuard
from nlu_ext.retrieval_selector import RetrievalSelector
from nlu_ext.value_extractor import TrialValueExtractor

speedups.install()

__all__ = [
    "CommandKeywords",
    "InputGuard",
    "RetrievalSelector",
    "TrialValueExtractor",
]

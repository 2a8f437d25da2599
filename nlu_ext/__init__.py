"""Custom Rasa NLU components of the assistant (thin adapters over ``bot/``)."""

from nlu_ext.input_guard import InputGuard
from nlu_ext.value_extractor import TrialValueExtractor

__all__ = ["InputGuard", "TrialValueExtractor"]

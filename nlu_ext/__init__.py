"""Custom Rasa NLU components of the assistant (thin adapters over ``bot/``).

Importing the package also applies ``rasa_patches`` (three per-turn costs of Rasa
3.6.21 removed without changing what Rasa does; see there, and docs/measurements.md
"Benchmark").
"""

import rasa_patches
from nlu_ext.command_keywords import CommandKeywords
from nlu_ext.input_guard import InputGuard
from nlu_ext.retrieval_selector import RetrievalSelector
from nlu_ext.value_extractor import TrialValueExtractor

# Here because `rasa run` imports this package for the components config.yml names:
# the only hook of ours in the Rasa server's process. Checks the Rasa version first.
rasa_patches.apply()

__all__ = [
    "CommandKeywords",
    "InputGuard",
    "RetrievalSelector",
    "TrialValueExtractor",
]

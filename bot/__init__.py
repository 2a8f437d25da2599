"""Domain core of the clinical-trial pre-screening assistant (no Rasa imports)."""

"""compmo: CompMo-style dense motion captioning data, models and evaluation."""

__version__ = "0.1.0"

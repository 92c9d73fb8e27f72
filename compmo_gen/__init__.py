"""compmo: CompMo-style dense motion captioning data, models and evaluation."""

from compmo_gen.core import __version__

__all__ = ["__version__"]

"""The H3D+BABEL setting ("UniMotion setting"): dense captions of real HumanML3D motions from
BABEL's frame labels (``compmo-gen babel``; docs/babel.md).

Modules: :mod:`~compmo_gen.babel.reader` (BABEL files), :mod:`~compmo_gen.babel.placement`
(``index.csv``, cuts, mirrors, clip-local labels), :mod:`~compmo_gen.babel.policies` (labels to
segments), :mod:`~compmo_gen.babel.splits` (splits and leakage), :mod:`~compmo_gen.babel.export`
(UniMotion's files, both ways), :mod:`~compmo_gen.babel.dataset` (the dataset folder).
"""

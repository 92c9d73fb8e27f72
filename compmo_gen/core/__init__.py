"""The toolkit's shared vocabulary: segments, formats, I/O, configuration, CLI plumbing and errors.

Everything in compmo stands on this package, and it imports nothing else of the project (an import
contract in the tests keeps it so).
"""

from __future__ import annotations

__version__ = "0.2.0"

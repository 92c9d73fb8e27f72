"""Training and inference throughput of DEMO: compmo-train's default step vs its fast step.

The code is ``modeling/bench/`` (``modeling.bench.run`` documents the sections and flags). GPU:
``python3 scripts/bench_throughput.py --preset llama8b --device cuda``; CPU smoke test:
``python3 scripts/bench_throughput.py --preset tiny --device cpu --out /tmp/tp --tag cpu``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from modeling.bench.run import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())

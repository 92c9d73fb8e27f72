"""Training and inference throughput of DEMO: compmo-train's default step vs its fast step.

The code is ``benchmarks/`` (``benchmarks.run`` documents the sections and flags). GPU:
``python -m scripts.bench_throughput --preset llama8b --device cuda``; CPU smoke test:
``python -m scripts.bench_throughput --preset tiny --device cpu --out /tmp/tp --tag cpu``.
"""

from __future__ import annotations

from benchmarks.run import main

if __name__ == "__main__":
    raise SystemExit(main())

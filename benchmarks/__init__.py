"""Training and inference throughput of DEMO: compmo-train's default step vs its fast step.

``scripts/bench_throughput.py`` is the command (``benchmarks.run.main``); ``harness`` holds
the model, samples and step loop, ``training`` and ``checks`` the sections, ``report`` the
Markdown table.
"""

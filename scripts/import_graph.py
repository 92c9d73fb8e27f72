"""Draw the project's import graph by layer (grimp, the graph library behind import-linter).

Writes ``results/import_graph.md``: a Mermaid diagram of which layer imports which (module-level and
function-level imports alike), with the number of importing modules on each arrow.

    python -m scripts.import_graph
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def layer(module: str) -> str:
    """The layer a module belongs to: each of the generator's subpackages (the core among them), its
    top-level CLI modules, evaluation, modeling, benchmarks."""
    parts = module.split(".")
    if parts[0] == "compmo_gen" and len(parts) > 1 and (ROOT / "compmo_gen" / parts[1]).is_dir():
        return f"compmo_gen.{parts[1]}"
    return parts[0]


def main() -> int:
    import grimp

    graph = grimp.build_graph("compmo_gen", "evaluation", "modeling", "benchmarks")
    edges: Counter[tuple[str, str]] = Counter()
    for mod in graph.modules:
        for dep in graph.find_modules_directly_imported_by(mod):
            a, b = layer(mod), layer(dep)
            if a != b:
                edges[(a, b)] += 1
    up = [(a, b) for a, b in edges if a == "compmo_gen.core"]
    nodes = sorted({x for e in edges for x in e})
    lines = ["# Import graph by layer", "", "Written by `python -m scripts.import_graph`. An arrow",
             "A --> B means modules of A import B (the number of importing modules on the arrow).",
             f"Arrows out of `compmo_gen.core`: {len(up)}.", "", "```mermaid", "graph TD"]  # fmt: skip
    ids = {n: n.replace(".", "_") for n in nodes}
    lines += [f"  {ids[n]}[{n}]" for n in nodes]
    lines += [f"  {ids[a]} -->|{n}| {ids[b]}" for (a, b), n in sorted(edges.items())]
    lines += ["```", ""]
    (ROOT / "results" / "import_graph.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0 if not up else 1


if __name__ == "__main__":
    sys.exit(main())

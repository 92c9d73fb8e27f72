"""Run `compmo-gen babel` on the hand-made BABEL fixtures and the real HumanML3D sample clips and
write what it prints, and the resulting ground truth, to results/babel_fixtures.md.

python -m scripts.babel_fixtures [--sample ../shared/data/humanml3d_sample]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIX = REPO / "tests" / "compmo_gen" / "fixtures" / "babel"


def run(sample: Path, out: Path, *opts: str) -> tuple[int, str]:
    from compmo_gen.cli import main

    argv = ["babel", "--babel", str(FIX / "babel"), "--humanml3d", str(sample)]
    argv += ["--index", str(FIX / "humanml3d" / "index.csv"), "--out", str(out), *opts]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(argv)
    return rc, buf.getvalue()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=Path, default=REPO.parent / "shared/data/humanml3d_sample")
    ap.add_argument("--out", type=Path, default=REPO / "results" / "babel_fixtures.md")
    args = ap.parse_args()
    if not (args.sample / "new_joints").is_dir():
        print(f"{args.sample}: HumanML3D sample not found", file=sys.stderr)
        return 2
    lines = [
        "# `compmo-gen babel` on the BABEL fixtures and the two real HumanML3D sample clips",
        "",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for opts in ((), ("--preset", "multi-track", "--annotators", "all")):
            out = Path(tmp) / f"out{len(opts)}"
            rc, printed = run(args.sample, out, *opts)
            cmd = (
                "compmo-gen babel --babel tests/compmo_gen/fixtures/babel/babel "
                "--humanml3d ../shared/data/humanml3d_sample "
                "--index tests/compmo_gen/fixtures/babel/humanml3d/index.csv --out OUT "
                + " ".join(opts)
            ).strip()
            lines += [
                f"## `{cmd}`",
                "",
                f"exit code {rc}; stdout:",
                "",
                "```",
                printed.rstrip(),
                "```",
                "",
            ]
            for split in ("train", "test"):
                ann = out / "annotations" / f"{split}.json"
                if ann.is_file():
                    lines += [f"`annotations/{split}.json`:", "", "```json"]
                    lines += [
                        json.dumps(json.loads(ann.read_text()), ensure_ascii=False),
                        "```",
                        "",
                    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Goldens for tests/evaluation/fixtures/ by running the reference evaluators themselves.

    python -m scripts.reference_eval.real_goldens [--mirrors DIR] [--fixtures DIR]

Copies, at run time and into a temporary directory only (never into this repository), the
reference code from local git mirrors of github.com/ranjaykrishna/densevid_eval (evaluate.py,
Python 2: print statements, ``xrange`` and ``sets`` are mechanically rewritten for Python 3),
github.com/fujiso/SODA (soda.py, dataset.py, utils.py) and github.com/ttengwang/PDVC
(densevid_eval3: evaluate2018.py, eval_soda.py, eval_para.py, para_evaluate.py, SODA/); their
print formats are widened to full precision. Runs them on the fixtures with the installed
pycocoevalcap and writes ``goldens.json`` next to each fixture, recording each reference's commit.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "evaluation" / "fixtures"
#: The reference repositories: a clone of each under ``--mirrors`` (docs/evaluation.md,
#: "Reference sources"), named as the repository or ``owner+name/repo``.
MIRRORS = {"densevid_eval": "ranjaykrishna", "SODA": "fujiso", "PDVC": "ttengwang"}


def _repo(mirrors: Path, name: str) -> Path:
    """The git dir of ``name``'s clone under ``mirrors``."""
    for base in (mirrors / name, mirrors / f"{MIRRORS[name]}+{name}" / "repo"):
        if (base / ".git").is_dir():
            return base / ".git"
        if (base / "HEAD").is_file():
            return base
    raise SystemExit(f"no clone of github.com/{MIRRORS[name]}/{name} under {mirrors}")


NUM = r"(?:np\.float64\()?([-+\d.eE]+|nan)\)?"


def _git(mirror: Path, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", str(mirror), *args], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip


def _py3(src: str) -> str:
    """densevid_eval's evaluate.py (Python 2) for Python 3, widened prints."""
    src = src.replace("from sets import Set", "Set = set").replace("xrange(", "range(")
    src = src.replace("np.mean(all_scores.values()", "np.mean(list(all_scores.values())")
    src = re.sub(r"^(\s*)print (.*)$", r"\1print(\2)", src, flags=re.M)
    return src.replace("'| %s: %2.4f'", "'| %s: %r'")


def _checkout(mirrors: Path, work: Path) -> dict[str, str]:
    commits = {}
    for name in MIRRORS:
        git = _repo(mirrors, name)
        commits[name] = _git(git, "rev-parse", "HEAD").strip()
        files = _git(git, "ls-tree", "-r", "--name-only", "HEAD").split()
        for f in files:
            keep = (
                (name == "densevid_eval" and f == "evaluate.py")
                or (name == "SODA" and f in ("soda.py", "dataset.py", "utils.py"))
                or (name == "PDVC" and f.startswith("densevid_eval3/") and f.endswith(".py")
                    and "pycocoevalcap" not in f)
            )  # fmt: skip
            if not keep:
                continue
            text = _git(git, "show", f"HEAD:{f}")
            if name == "densevid_eval":
                text = _py3(text)
            if name == "SODA":
                text = text.replace('f"\\t{k}:{v*100:2.4f}"', 'f"\\t{k}:{v*100!r}"')
            dest = work / name / f
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(text)
    # PDVC pins fujiso/SODA as the git submodule densevid_eval3/SODA: the same files, at the
    # commit the submodule names (checked).
    pinned = _git(_repo(mirrors, "PDVC"), "ls-tree", "HEAD", "densevid_eval3/SODA").split()[2]
    for f in ("soda.py", "dataset.py", "utils.py"):
        text = _git(_repo(mirrors, "SODA"), "show", f"{pinned}:{f}")
        dest = work / "PDVC" / "densevid_eval3" / "SODA" / f
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text)
    commits["PDVC:densevid_eval3/SODA"] = pinned
    return commits


def _run(cmd: list[str], cwd: Path, env: dict | None = None) -> str:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)}: exit {proc.returncode}\n{proc.stderr[-3000:]}")
    return proc.stdout


def densevid(work: Path, pred: Path, refs: list[Path]) -> dict[str, float]:
    out = _run([sys.executable, "evaluate.py", "-v", "-s", str(pred), "-r", *map(str, refs)],
               work / "densevid_eval")  # fmt: skip
    avg = out.split("Average across all tIoUs")[-1]
    return {m: float(v) for m, v in re.findall(rf"\| (\w+): {NUM}", avg)}


def soda(work: Path, pred: Path, refs: list[Path], multi: bool) -> dict[str, float]:
    cmd = [sys.executable, "soda.py", "-p", str(pred), "-r", *map(str, refs)]
    out = _run(cmd + (["--multi_reference"] if multi else []), work / "SODA")
    return {k: float(v) * 1.0 for k, v in re.findall(rf"(precision|recall|f1_score):{NUM}", out)}


PDVC_HARNESS = """
import json, sys
from densevid_eval3.eval_dvc import eval_dvc
from densevid_eval3.eval_soda import eval_soda
from densevid_eval3.eval_para import eval_para
pred, refs, paras = sys.argv[1], sys.argv[2].split(','), sys.argv[3].split(',')
dvc = eval_dvc(json_path=pred, reference=refs, version='2018')
out = {'dvc_' + k: sum(v) / len(v) for k, v in dvc.items()}
out.update(eval_soda(pred, ref_list=refs))
out.update(eval_para(pred, referneces=paras))
print('PDVC_JSON ' + json.dumps({k: float(v) for k, v in out.items()}))
"""


def pdvc(work: Path, pred: Path, refs: list[Path], paras: list[Path]) -> dict[str, float]:
    root = work / "PDVC"
    (root / "harness.py").write_text(PDVC_HARNESS)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(root / "densevid_eval3" / "SODA")])}  # fmt: skip
    out = _run([sys.executable, "harness.py", str(pred), ",".join(map(str, refs)),
                ",".join(map(str, paras))], root, env)  # fmt: skip
    return json.loads(out.split("PDVC_JSON ", 1)[1].splitlines()[0])


def to_submission(pred: Path, dest: Path) -> Path:
    """TimeChat's {"x.mp4": [{timestamp, caption}]} as an ActivityNet submission (v_ ids)."""
    obj = json.loads(pred.read_text())
    res = {"v_" + k.rsplit(".", 1)[0]: [{"sentence": p["caption"], "timestamp": p["timestamp"]}
                                        for p in v] for k, v in obj.items()}  # fmt: skip
    dest.write_text(json.dumps({"version": "1.0", "results": res, "external_data": {}}))
    return dest


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--mirrors",
        type=Path,
        default=os.environ.get("COMPMO_REFERENCE_REPOS"),
        required="COMPMO_REFERENCE_REPOS" not in os.environ,
        help="folder of the reference clones (default: $COMPMO_REFERENCE_REPOS)",
    )
    ap.add_argument("--fixtures", type=Path, default=FIXTURES)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="compmo-goldens-") as tmp:
        work = Path(tmp)
        commits = _checkout(args.mirrors, work)
        a = args.fixtures / "anet_val"
        pred, v1, v2 = a / "predictions.json", a / "val_1.json", a / "val_2.json"
        goldens = {
            "references": commits,
            "single_val_1": {"densevid": densevid(work, pred, [v1]),
                             "soda": soda(work, pred, [v1], multi=False)},
            "val_1+val_2": {
                "densevid": densevid(work, pred, [v1, v2]),
                "soda": soda(work, pred, [v1, v2], multi=False),
                "soda_multi_reference": soda(work, pred, [v1, v2], multi=True),
                "pdvc": pdvc(work, pred, [v1, v2], [a / "para_val_1.json", a / "para_val_2.json"]),
            },
        }  # fmt: skip
        (a / "goldens.json").write_text(json.dumps(goldens, indent=1) + "\n")
        y = args.fixtures / "yc2_timechat"
        sub = to_submission(y / "timechat_pred.json", work / "yc2_sub.json")
        goldens = {
            "references": commits,
            "yc2_val": {"densevid": densevid(work, sub, [y / "yc2_val.json"]),
                        "soda": soda(work, sub, [y / "yc2_val.json"], multi=False)},
        }  # fmt: skip
        (y / "goldens.json").write_text(json.dumps(goldens, indent=1) + "\n")
    print("goldens written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

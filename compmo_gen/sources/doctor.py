"""HumanML3D doctor: check a user's HumanML3D (or AMASS-derived) folder against the official release
(docs/building.md, "Build, check, describe") and say what is wrong and how to fix it.

Checks: layout; split files (official counts, disjointness, ``train_val = train + val``, ids,
mirrored ``M`` ids); ``new_joints`` (shape, dtype, NaN, zero or over-long clips that betray another
frame rate, y up, metres and retargeted bone lengths, floor and start); ``texts`` (the
``caption#tokens#start#end`` lines, their ``word/POS`` tags); ``index.csv``. Findings are
``error`` (that file or id cannot be used), ``warn`` (differs from the release) or ``info``.
"""

from __future__ import annotations

import csv
import re
import tokenize
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from compmo_gen.core.constants import NUM_JOINTS
from compmo_gen.core.errors import AnnotationError
from compmo_gen.core.io import open_regular, read_text

#: Official id counts of the split files (HumanML3D release).
OFFICIAL_SPLITS = {"train": 23384, "val": 1460, "test": 4384, "train_val": 24844, "all": 29228}
#: Ids absent from the official release (with their mirrors): not an error.
KNOWN_MISSING = {"009707", "011059", "M009707", "M011059"}
UPOS = set("ADJ ADP ADV AUX CCONJ DET INTJ NOUN NUM PART PRON PROPN PUNCT SCONJ SYM VERB X SPACE".split())  # fmt: skip
_ID = re.compile(r"^M?\d{6}$")
#: Longest official clip (frames at 20 fps); T2M models keep 40 <= T < 200.
MAX_FRAMES = 199
BONE_TOL = 1e-3


@dataclass
class Finding:
    level: str  # error, warn, info
    what: str
    fix: str = ""

    def line(self) -> str:
        return f"{self.level.upper():5s} {self.what}" + (
            f"\n      fix: {self.fix}" if self.fix else ""
        )


@dataclass
class Diagnosis:
    root: Path
    findings: list[Finding] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    usable: int = 0  # ids with a good motion and a good caption file
    #: Their source motions (an id and its ``M`` mirror are one), what a build counts.
    motions: set[str] = field(default_factory=set)

    def add(self, level: str, what: str, fix: str = "") -> None:
        self.findings.append(Finding(level, what, fix))

    @property
    def errors(self) -> int:
        return sum(f.level == "error" for f in self.findings)

    def as_dict(self) -> dict:
        return {
            "root": str(self.root),
            "usable_ids": self.usable,
            "usable_motions": len(self.motions),
            "counts": dict(sorted(self.counts.items())),
            "findings": [f.__dict__ for f in self.findings],
        }


def _examples(ids: Iterable[str], n: int = 3) -> str:
    ids = sorted(ids)
    return ", ".join(ids[:n]) + (", ..." if len(ids) > n else "")


def check_layout(d: Diagnosis) -> bool:
    root = d.root
    if not root.is_dir():
        d.add("error", f"{root}: not a folder")
        return False
    if (root / "HumanML3D" / "new_joints").is_dir():
        d.add("error", f"{root}: the data is one level down", f"run: compmo-gen doctor {root / 'HumanML3D'}")  # fmt: skip
        return False
    npz = next(root.rglob("*.npz"), None) if not (root / "new_joints").is_dir() else None
    if npz is not None:
        d.add("error", f"{root}: AMASS-style .npz files (e.g. {npz.name}), no new_joints/", f"convert them: compmo-gen smpl2joints {root} --out OUT --smpl-dir BODY_MODELS (or compmo-gen import-motion FILES --out OUT)")  # fmt: skip
        return False
    for raw in ("joints", "pose_data"):
        if (root / raw).is_dir() and not (root / "new_joints").is_dir():
            d.add("error", f"{root}: {raw}/ (HumanML3D's intermediate SMPL-H joints) but no new_joints/", f"run motion_representation.ipynb, or: compmo-gen import-motion {root / raw}/*.npy --skeleton smplh52 --fps 20 --out OUT")  # fmt: skip
            return False
    ok = True
    for sub, fix in (
        ("new_joints", "run HumanML3D's raw_pose_processing.ipynb and motion_representation.ipynb (or compmo-gen smpl2joints / import-motion); new_joint_vecs/ alone is not enough"),
        ("texts", "unzip texts.zip from the HumanML3D repository into this folder"),
    ):  # fmt: skip
        if not (root / sub).is_dir():
            d.add("error", f"{root}: no {sub}/ folder", fix)
            ok = False
    return ok


def read_split(path: Path) -> list[str]:
    return [ln.strip() for ln in read_text(path, errors="replace").splitlines() if ln.strip()]


def check_splits(d: Diagnosis) -> dict[str, list[str]]:
    splits = {}
    for name, official in OFFICIAL_SPLITS.items():
        path = d.root / f"{name}.txt"
        if not path.is_file():
            level = "warn" if name in ("train_val", "all") else "error"
            d.add(level, f"{path.name}: missing", "copy the split files from the HumanML3D repository (HumanML3D/*.txt)")  # fmt: skip
            continue
        ids = read_split(path)
        splits[name] = ids
        d.counts[f"split_{name}"] = len(ids)
        dup = [i for i, c in Counter(ids).items() if c > 1]
        bad = [i for i in ids if not _ID.match(i)]
        if dup:
            d.add("warn", f"{path.name}: {len(dup)} duplicated ids ({_examples(dup)})")
        if bad:
            d.add("error", f"{path.name}: {len(bad)} malformed ids ({_examples(bad)}); ids are 6 digits with an optional M", "re-download the split file (Windows line endings or a header line are common causes)")  # fmt: skip
        if len(set(ids)) != official:
            d.add("warn", f"{path.name}: {len(set(ids))} ids, the official file has {official}", "use the official split files for comparable numbers")  # fmt: skip
        plain = {i for i in ids if not i.startswith("M")}
        mirrored = {i[1:] for i in ids if i.startswith("M")}
        if plain and not mirrored:
            d.add("warn", f"{path.name}: no mirrored M ids", "the official splits list XXXXXX and MXXXXXX; mirrors come from motion_representation.ipynb")  # fmt: skip
        elif plain - mirrored:
            d.add("info", f"{path.name}: {len(plain - mirrored)} ids without their M mirror ({_examples(plain - mirrored)})")  # fmt: skip
    sets = {k: set(v) for k, v in splits.items()}
    for a, b in (("train", "val"), ("train", "test"), ("val", "test")):
        if a in sets and b in sets and sets[a] & sets[b]:
            both = sets[a] & sets[b]
            d.add("error", f"{a}.txt and {b}.txt share {len(both)} ids ({_examples(both)}): broken splits", "restore the official split files")  # fmt: skip
    if {"train", "val", "train_val"} <= set(sets) and sets["train_val"] != sets["train"] | sets[
        "val"
    ]:
        d.add("warn", "train_val.txt is not train.txt + val.txt")
    return splits


def check_motion(path: Path) -> tuple[str | None, np.ndarray | None]:
    """(problem or None, joints) of one new_joints file."""
    if not path.is_file():  # a FIFO would block, a folder cannot be read
        return "not a regular file", None
    try:
        # memory-mapped first: a header claiming more bytes than the file holds fails here,
        # before anything is allocated (a 98 GiB claim in a 1 kB file)
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except (
        OSError,
        ValueError,
        EOFError,
        SyntaxError,
        tokenize.TokenError,
    ) as exc:  # mangled header
        return f"unreadable ({(str(exc).splitlines() or [type(exc).__name__])[0][:80]})", None
    if not isinstance(arr, np.ndarray):  # an .npz archive named .npy
        arr.close()
        return "not an .npy array (an .npz archive?)", None
    if arr.ndim == 2 and arr.shape[1] == 263:
        return "(T, 263) features: a new_joint_vecs file in new_joints/", None
    if arr.ndim != 3 or arr.shape[1:] != (NUM_JOINTS, 3):
        return f"shape {arr.shape}, expected (T, 22, 3)", None
    if arr.shape[0] == 0:
        return "zero frames", None
    if not np.issubdtype(arr.dtype, np.floating):
        return f"dtype {arr.dtype}, expected float32", None
    arr = np.asarray(arr)
    if not np.isfinite(arr).all():
        return "NaN or infinite values", None
    return None, arr


def motion_anomalies(j: np.ndarray) -> list[str]:
    """Departures from the HumanML3D conventions of a readable (T, 22, 3) clip."""
    from compmo_gen.composition.skeleton import bone_error

    out = []
    if len(j) > MAX_FRAMES:
        out.append("frames_over_199")
    up = (j[:, 15] - j[:, 0]).mean(axis=0)
    if np.argmax(np.abs(up)) != 1 or up[1] <= 0:
        out.append("not_y_up")
    leg = float(np.linalg.norm(j[:, 4] - j[:, 1], axis=-1).mean() + np.linalg.norm(j[:, 7] - j[:, 4], axis=-1).mean())  # fmt: skip
    if not 0.5 < leg < 1.3:
        out.append("not_metres")
    elif bone_error(j[:1].astype(np.float64)) > BONE_TOL:
        out.append("not_retargeted")
    if abs(float(j[..., 1].min())) > 0.05:
        out.append("floor_not_0")
    if np.linalg.norm(j[0, 0, [0, 2]]) > 0.05:
        out.append("start_not_at_origin")
    return out


ANOMALY_FIX = {
    "frames_over_199": (
        "clips longer than any official one (199 frames at 20 fps): saved at another frame rate?",
        "resample to 20 fps (HumanML3D keeps every k-th AMASS frame; compmo-gen import-motion FILE --fps N does it)",
    ),  # fmt: skip
    "not_y_up": (
        "clips not y-up (the body stands along another axis)",
        "apply HumanML3D's axis swap (AMASS is z-up), or re-import with compmo-gen import-motion",
    ),  # fmt: skip
    "not_metres": (
        "clips whose leg length is not 0.5-1.3: not metres?",
        "scale to metres (compmo-gen import-motion --units detects cm/mm)",
    ),  # fmt: skip
    "not_retargeted": (
        "clips not on the HumanML3D skeleton (bone lengths differ): the raw joints, not new_joints?",
        "run motion_representation.ipynb (uniform_skeleton), or compmo-gen import-motion",
    ),  # fmt: skip
    "floor_not_0": (
        "clips whose lowest joint is not at y = 0",
        "re-run motion_representation.ipynb (floor), or compmo-gen import-motion",
    ),  # fmt: skip
    "start_not_at_origin": (
        "clips whose root does not start at x = z = 0",
        "re-run motion_representation.ipynb (canonical start)",
    ),  # fmt: skip
}


def check_text(path: Path) -> tuple[str | None, Counter]:
    """(problem or None, counts of line-level issues) of one caption file."""
    c: Counter = Counter()
    if not path.is_file():  # a FIFO would block
        return "not a regular file", c
    if path.stat().st_size > 1 << 20:
        return "over 1 MiB: not a caption file", c
    try:
        lines = [ln for ln in read_text(path).splitlines() if ln.strip()]
    except AnnotationError as exc:  # not UTF-8, not a regular file, unreadable
        return exc.message, c
    if not lines:
        return "empty", c
    good = 0
    for ln in lines:
        parts = ln.split("#")
        if len(parts) != 4 or not parts[0].strip():
            c["text_lines_malformed"] += 1
            continue
        try:
            float(parts[2]), float(parts[3])
        except ValueError:
            c["text_lines_bad_times"] += 1
            continue
        toks = parts[1].split()
        if not toks:
            c["text_lines_without_pos_tags"] += 1
        elif any("/" not in t or t.rsplit("/", 1)[1] not in UPOS for t in toks):
            c["text_lines_bad_pos_tags"] += 1
        good += 1
    c["text_lines"] += len(lines)
    return (None if good else "no well-formed caption line"), c


def check_index(d: Diagnosis, files: set[str]) -> None:
    path = next((p for p in (d.root / "index.csv", d.root.parent / "index.csv") if p.is_file()), None)  # fmt: skip
    if path is None:
        d.add("info", "index.csv: not found here or one level up (only needed to rebuild from AMASS)")  # fmt: skip
        return
    try:
        with open_regular(path, "r", encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
    except (OSError, ValueError, csv.Error) as exc:  # ValueError: not UTF-8, not a regular file
        d.add("warn", f"{path}: unreadable ({exc})")
        return
    header = [h.strip() for h in rows[0]] if rows else []
    if header[:4] != ["source_path", "start_frame", "end_frame", "new_name"]:
        d.add("warn", f"{path}: header {header[:4]}, expected source_path,start_frame,end_frame,new_name")  # fmt: skip
        return
    bad, names = 0, set()
    for r in rows[1:]:
        try:
            ok = len(r) >= 4 and 0 <= int(r[1]) < int(r[2]) and r[3].endswith(".npy")
        except ValueError:
            ok = False
        bad += not ok
        if len(r) >= 4:
            names.add(r[3].strip()[:-4])
    d.counts["index_rows"] = len(rows) - 1
    if bad:
        d.add("warn", f"{path}: {bad} malformed rows (need start < end frames and a .npy name)")
    plain = {f for f in files if not f.startswith("M")}
    if names and plain - names:
        d.add("info", f"{path}: {len(plain - names)} motions not listed ({_examples(plain - names)})")  # fmt: skip


def diagnose(root: str | Path, *, limit: int | None = None, quiet: bool = True) -> Diagnosis:
    """Check a HumanML3D folder; ``limit`` checks only the first N ids' files (a quick look)."""
    from tqdm import tqdm

    d = Diagnosis(Path(root))
    if not check_layout(d):
        return d
    splits = check_splits(d)
    files = {p.stem for p in (d.root / "new_joints").glob("*.npy")}
    texts = {p.stem for p in (d.root / "texts").glob("*.txt")}
    d.counts.update(new_joints_files=len(files), text_files=len(texts))
    listed = set().union(*splits.values()) if splits else set()
    ids = sorted(listed | files) if listed else sorted(files)
    no_motion = {i for i in listed - files if i not in KNOWN_MISSING}
    no_text = {i for i in files - texts}
    if no_motion:
        d.add("error", f"{len(no_motion)} ids of the split files have no new_joints/<id>.npy ({_examples(no_motion)})", "finish HumanML3D's notebooks (an interrupted run leaves gaps), or write split files that list only the ids you have")  # fmt: skip
    if no_text:
        d.add("error", f"{len(no_text)} motions have no texts/<id>.txt ({_examples(no_text)})", "unzip texts.zip from the HumanML3D repository (M ids have their own M texts)")  # fmt: skip
    if listed and files - listed:
        d.add("info", f"{len(files - listed)} new_joints files are in no split file ({_examples(files - listed)})")  # fmt: skip
    problems: dict[str, list[str]] = {}
    anomalies: dict[str, list[str]] = {}
    lengths = []
    todo = [i for i in ids if i in files][:limit]
    for vid in tqdm(todo, desc="doctor", unit="clip", disable=quiet):
        why, j = check_motion(d.root / "new_joints" / f"{vid}.npy")
        if why is not None:
            problems.setdefault(f"new_joints: {why}", []).append(vid)
            continue
        lengths.append(len(j))
        for a in motion_anomalies(j):
            anomalies.setdefault(a, []).append(vid)
        if vid not in texts:
            continue
        twhy, tc = check_text(d.root / "texts" / f"{vid}.txt")
        d.counts.update(tc)
        if twhy is not None:
            problems.setdefault(f"texts: {twhy}", []).append(vid)
            continue
        d.usable += 1
        d.motions.add(vid[1:] if vid.startswith("M") else vid)
    d.counts["checked_ids"] = len(todo)
    for what, vids in sorted(problems.items()):
        known = " (007975/M007975 are known to hold NaN)" if set(vids) <= {"007975", "M007975"} else ""  # fmt: skip
        d.add("error", f"{len(vids)} ids: {what} ({_examples(vids)}){known}", "these ids are skipped by compmo's loaders; re-export them to use them")  # fmt: skip
    for key, vids in sorted(anomalies.items()):
        what, fix = ANOMALY_FIX[key]
        d.add("warn", f"{len(vids)} {what} ({_examples(vids)})", fix)
    if lengths:
        arr = np.array(lengths)
        d.counts.update(frames_min=int(arr.min()), frames_max=int(arr.max()), frames_mean_x10=int(arr.mean() * 10), clips_under_40=int((arr < 40).sum()))  # fmt: skip
    for key, fix in (("text_lines_without_pos_tags", "captions without word/POS tokens lose the 'simple' (<= 1 verb) filter; tag them with spaCy as HumanML3D does"), ("text_lines_bad_pos_tags", "tokens must be word/UPOS (e.g. kick/VERB)"), ("text_lines_malformed", "lines are caption#tokens#start#end"), ("text_lines_bad_times", "start and end are seconds (0.0#0.0 = whole clip)")):  # fmt: skip
        if d.counts.get(key):
            d.add("warn", f"{d.counts[key]} caption lines: {key.replace('text_lines_', '').replace('_', ' ')}", fix)  # fmt: skip
    check_index(d, files)
    return d

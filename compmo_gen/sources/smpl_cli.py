"""`compmo-gen smpl2joints`: a folder of AMASS-style SMPL-H ``.npz`` files to a HumanML3D-layout
folder (``new_joints/<id>.npy``, ``texts/<id>.txt``, split lists, ``index.csv``) that the builder's
HumanML3D loader reads as a source (``compmo-gen build --source humanml3d:OUT``).

Captions come from a text file beside each motion (``<name>.txt``, or under ``--texts`` at the same
relative path): HumanML3D lines (``caption#tokens#start#end``) are kept as they are, plain lines
become ``caption##0.0#0.0`` (no POS tags). Motions without captions are converted and counted.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections import Counter
from pathlib import Path

import numpy as np

from compmo_gen.core.errors import UserError
from compmo_gen.core.io import read_text

log = logging.getLogger(__name__)


def caption_lines(text: str) -> list[str]:
    """HumanML3D caption lines from a sidecar text (plain captions get empty tags, whole clip)."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        out.append(line if line.count("#") == 3 else f"{line.replace('#', ' ')}##0.0#0.0")
    return out


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "input", type=Path, help="folder of AMASS-style .npz files (searched recursively)"
    )
    parser.add_argument("--out", type=Path, required=True, help="output HumanML3D-layout folder")
    parser.add_argument(
        "--smpl-dir",
        type=Path,
        help="folder with the body models: smplh/{male,female,neutral}/model.npz or SMPLH_<GENDER>.npz",
    )
    parser.add_argument(
        "--gender",
        choices=("auto", "neutral", "male", "female"),
        default="auto",
        help="body model gender (auto: the file's own 'gender' field, else neutral)",
    )
    parser.add_argument(
        "--num-betas", type=int, default=10, help="shape coefficients used (HumanML3D: 10)"
    )
    parser.add_argument(
        "--no-retarget",
        action="store_true",
        help="keep the subject's bone lengths (default: retarget onto the HumanML3D skeleton)",
    )
    parser.add_argument(
        "--texts",
        type=Path,
        help="folder of caption files mirroring the input tree (default: <name>.txt beside each .npz)",
    )
    parser.add_argument(
        "--split", default="train", help="split list the ids are added to (besides all.txt)"
    )
    parser.add_argument(
        "--start-id", type=int, default=0, help="first 6-digit id (default %(default)s)"
    )
    parser.add_argument("--strict", action="store_true", help="stop at the first bad file instead of skipping it")  # fmt: skip


def _motion_files(root: Path) -> list[Path]:
    if not root.is_dir():
        raise UserError(f"{root}: not a folder")
    files = sorted(p for p in root.rglob("*.npz") if p.is_file())
    if not files:
        raise UserError(f"{root}: no .npz files")
    return files


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from compmo_gen.sources import smpl

    if args.num_betas < 1 or args.start_id < 0:
        raise UserError("--num-betas must be at least 1 and --start-id at least 0")
    files = _motion_files(args.input)
    auto = args.gender == "auto"
    genders = {f: (smpl.read_gender(f) or "neutral") if auto else args.gender for f in files}
    needed = sorted(set(genders.values()))
    if args.smpl_dir is None:
        raise UserError(smpl.missing_model_message(None, needed))
    paths = {g: smpl.find_model(args.smpl_dir, g) for g in needed}
    missing = [g for g, p in paths.items() if p is None]
    if missing:
        raise UserError(smpl.missing_model_message(args.smpl_dir, missing))
    try:
        models = {g: smpl.load_body_model(p) for g, p in paths.items() if p is not None}
    except smpl.SmplError as exc:
        raise UserError(str(exc)) from None

    out = args.out
    (out / "new_joints").mkdir(parents=True, exist_ok=True)
    (out / "texts").mkdir(exist_ok=True)
    counts: Counter[str] = Counter()
    skipped: list[str] = []
    ids, index = [], ["source_path,start_frame,end_frame,new_name"]
    next_id = args.start_id
    for f in tqdm(files, desc="smpl2joints", disable=args.quiet):
        rel = f.relative_to(args.input)
        try:
            poses, trans, betas, fps = smpl.read_amass(f)
            joints = smpl.amass_to_humanml3d(
                models[genders[f]], poses, trans, betas, fps,
                num_betas=args.num_betas, retarget=not args.no_retarget,
            )  # fmt: skip
        except smpl.NotAMotion as exc:
            log.debug("%s", exc)
            counts["not_motion"] += 1
            continue
        except smpl.SmplError as exc:
            if args.strict:
                raise UserError(str(exc)) from None
            log.warning("skipped %s", exc)
            counts["skipped"] += 1
            skipped.append(str(exc))
            continue
        vid = f"{next_id:06d}"
        next_id += 1
        np.save(out / "new_joints" / f"{vid}.npy", joints)
        text_src = (args.texts / rel if args.texts else f).with_suffix(".txt")
        lines = caption_lines(read_text(text_src)) if text_src.is_file() else []
        if lines:
            (out / "texts" / f"{vid}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        else:
            counts["without_captions"] += 1
        counts["converted"] += 1
        counts["frames"] += len(joints)
        ids.append(vid)
        index.append(f"{rel.as_posix()},0,{len(joints)},{vid}.npy")  # 20 fps frames, as HumanML3D

    for name in ("all", args.split):
        (out / f"{name}.txt").write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")
    (out / "index.csv").write_text("\n".join(index) + "\n", encoding="utf-8")
    report = {"input_files": len(files), **dict(sorted(counts.items())), "skipped_files": skipped}
    (out / "smpl2joints_report.json").write_text(
        json.dumps(report, indent=1) + "\n", encoding="utf-8"
    )
    log.info(
        "%s: %d converted (%d frames at 20 fps), %d skipped, %d without captions",
        out, counts["converted"], counts["frames"], counts["skipped"], counts["without_captions"],
    )  # fmt: skip
    if not counts["converted"]:
        raise UserError(
            f"{args.input}: no motion converted ({counts['skipped']} skipped, see {out}/smpl2joints_report.json)"
        )
    return 0

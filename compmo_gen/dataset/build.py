"""Build a CompMo-style dataset: atomic clips -> pools per split -> chunks of sequences on disk.

Work is cut into chunks of ``cfg.chunk`` sequences. Sequence ``i`` depends only on the config and
``i`` (``SeedSequence([seed, i, attempt])``), so the output is byte-identical whatever the number
of workers, the shard or the order. A chunk writes its motions (temp file, then rename) and then
``chunks/<n>.jsonl``; a chunk whose file exists and whose motions match their recorded hashes is
done and never redone, which makes interrupted builds resumable and shards mergeable (copy the
shard folders together and run the build again without ``--shard``).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import multiprocessing as mp
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from compmo_gen.composition.compose import build_sequence
from compmo_gen.core.constants import FPS
from compmo_gen.core.io import load_json, read_bytes, remove_stale_tmp, write_atomic
from compmo_gen.core.procs import worker_init
from compmo_gen.core.segments import DenseAnnotation
from compmo_gen.dataset.build_config import BuildConfig, from_dict
from compmo_gen.dataset.chunks import chunk_path, chunk_record, read_chunk
from compmo_gen.dataset.clips import BuildError, check_enough_clips, load_atoms, make_pools
from compmo_gen.dataset.splits import sequence_splits, split_of

log = logging.getLogger(__name__)

_STATE: dict = {}  # set in the parent before the workers fork (read-only in workers)


@dataclass
class BuildResult:
    chunks_total: int
    chunks_built: int
    chunks_reused: int
    finalized: bool
    seconds: dict[str, float] | None = None  # atoms, sequences, finalize


def npy_bytes(joints: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(joints, dtype=np.float32), allow_pickle=False)
    return buf.getvalue()


def sequence_id(index: int, num: int) -> str:
    return f"{index:0{max(6, len(str(num - 1)))}d}"


# ----------------------------------------------------------------------------- chunks


def chunk_done(out: Path, c: int) -> bool:
    """A chunk is done when its record file exists and every motion matches its hash."""
    path = chunk_path(out, c)
    if not path.is_file():
        return False
    try:
        for rec in read_chunk(path):
            data = read_bytes(out / "motions" / f"{rec['id']}.npy")
            if hashlib.sha256(data).hexdigest() != rec["sha256"]:
                return False
    except (OSError, ValueError, KeyError):
        return False
    return True


def build_chunk(c: int) -> int:
    """Compose, write and record the sequences of chunk ``c`` (uses the forked ``_STATE``)."""
    cfg: BuildConfig = _STATE["cfg"]
    out: Path = _STATE["out"]
    ranges = sequence_splits(cfg.num, cfg.ratios)
    lines = []
    for i in range(c * cfg.chunk, min((c + 1) * cfg.chunk, cfg.num)):
        split = split_of(i, ranges)
        seq = build_sequence(_STATE["pools"][split], [cfg.seed, i], cfg.composition)
        if (
            cfg.multitrack.enabled
        ):  # overlays on disjoint body parts (compmo_gen.composition.multitrack)
            from compmo_gen.composition.multitrack import add_overlays

            seq = add_overlays(seq, _STATE["pools"][split], [cfg.seed, i], cfg.multitrack)
        sid = sequence_id(i, cfg.num)
        data = npy_bytes(seq.joints)
        write_atomic(out / "motions" / f"{sid}.npy", data)
        ann = DenseAnnotation(sid, len(seq.joints) / FPS, seq.segments)
        sha = hashlib.sha256(data).hexdigest()
        lines.append(
            chunk_record(ann, split=split, frames=int(len(seq.joints)), meta=seq.meta, sha256=sha)
        )
    write_atomic(chunk_path(out, c), "\n".join(lines) + "\n")
    return c


def _refuse_foreign(out: Path) -> None:
    """Refuse an output that is a file, or a non-empty folder that holds no compmo build (its
    unrelated files would be hashed into the manifest)."""
    if out.exists() and not out.is_dir():
        raise BuildError(f"{out} exists and is not a folder; use another --out")
    if out.is_dir() and not (out / "build_config.json").is_file():
        # what a run killed before writing build_config.json can leave is no reason to refuse
        leftovers = {"motions", "chunks"}
        foreign = sorted(
            p.name
            for p in out.iterdir()
            if not (p.name.startswith(".") and p.name.endswith(".tmp"))
            and not (p.name in leftovers and p.is_dir() and not any(p.iterdir()))
        )
        if foreign:
            raise BuildError(
                f"{out} is not empty ({foreign[0]!r}, ...) and holds no compmo build; "
                "use an empty or new --out"
            )


def _check_config(out: Path, cfg: BuildConfig) -> None:
    path = out / "build_config.json"
    if path.is_file():
        try:
            old = from_dict(load_json(path))
        except (ValueError, OSError) as exc:
            raise BuildError(f"{path}: unreadable ({exc})") from None
        if old.sha256() != cfg.sha256():
            raise BuildError(
                f"{out} was built with a different configuration (see {path}); use another --out"
            )


def _start_folder(out: Path, cfg: BuildConfig) -> None:
    """Create ``out`` once the source has loaded (a refused source leaves nothing behind)."""
    (out / "motions").mkdir(parents=True, exist_ok=True)
    (out / "chunks").mkdir(exist_ok=True)
    path = out / "build_config.json"
    if not path.is_file():
        write_atomic(path, json.dumps(cfg.to_dict(), indent=1, sort_keys=True) + "\n")


def run_build(
    cfg: BuildConfig,
    out: str | Path,
    *,
    workers: int = 1,
    shard: tuple[int, int] = (0, 1),
    progress: bool = True,
) -> BuildResult:
    """Build (or resume, or finish) the dataset in ``out``; finalize when every chunk is present."""
    from tqdm import tqdm

    out = Path(out)
    _refuse_foreign(out)
    _check_config(out, cfg)
    n_chunks = math.ceil(cfg.num / cfg.chunk)
    mine = [c for c in range(n_chunks) if c % shard[1] == shard[0]]
    ctx = mp.get_context("fork")
    t0 = time.perf_counter()
    with ctx.Pool(workers, worker_init, (os.getpid(),)) if workers > 1 else _NoPool() as pool:
        atoms, source_report = load_atoms(cfg, pool if workers > 1 else None)
    pools, split_report = make_pools(cfg, atoms)
    log.info(
        "%d atomic clips ready in %.1f s (%s)", len(atoms), time.perf_counter() - t0, cfg.source
    )
    ranges = sequence_splits(cfg.num, cfg.ratios)
    for name, a, b in ranges:
        if b > a and not pools[name]:
            raise BuildError(
                f"split {name!r} has sequences but no atomic clips (source too small?)"
            )
    for warning in check_enough_clips(pools, ranges, allow=cfg.allow_few_clips):
        log.warning("%s (allow_few_clips=true)", warning)
    _start_folder(out, cfg)
    stale = remove_stale_tmp(out)
    if stale:
        log.info("removed %d temporary files left by an interrupted run", stale)
    write_atomic(
        out / "sources.json",
        json.dumps({"source": source_report, "splits": split_report}, indent=1, sort_keys=True)
        + "\n",
    )
    t_atoms = time.perf_counter() - t0
    done = [c for c in mine if chunk_done(out, c)]
    todo = [c for c in mine if c not in set(done)]
    if done:
        log.info("resuming: %d of %d chunks already built and verified", len(done), len(mine))
    _STATE.update(cfg=cfg, out=out, pools=pools)
    size = {c: min((c + 1) * cfg.chunk, cfg.num) - c * cfg.chunk for c in mine}
    bar = tqdm(
        total=sum(size[c] for c in mine),
        initial=sum(size[c] for c in done),
        unit="seq",
        disable=not progress,
        desc="build",
    )
    try:
        if workers > 1 and len(todo) > 1:
            with ctx.Pool(workers, worker_init, (os.getpid(),)) as pool:
                for c in pool.imap_unordered(build_chunk, todo):
                    bar.update(size[c])
        else:
            for c in todo:
                bar.update(size[build_chunk(c)])
    finally:
        bar.close()
        _STATE.clear()
    t_seq = time.perf_counter() - t0 - t_atoms
    present = all(chunk_path(out, c).is_file() for c in range(n_chunks))
    if present:
        from compmo_gen.dataset.files import finalize

        t1 = time.perf_counter()
        finalize(out, cfg)
        log.info(
            "finalized (annotations, metadata, card, manifest) in %.1f s", time.perf_counter() - t1
        )
    else:
        log.warning(
            "shard %d/%d done; copy the shard folders together and run the same build without --shard",
            *shard,
        )
    t_all = time.perf_counter() - t0
    seconds = {
        "atoms": t_atoms,
        "sequences": t_seq,
        "finalize": t_all - t_atoms - t_seq,
        "total": t_all,
    }
    return BuildResult(n_chunks, len(todo), len(done), present, seconds)


class _NoPool:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def parse_shard(text: str) -> tuple[int, int]:
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise BuildError(f"--shard {text!r}: expected i/n, e.g. 0/4") from None
    if not (n >= 1 and 0 <= i < n):
        raise BuildError(f"--shard {text!r}: need 0 <= i < n")
    return i, n

"""SODA(B): SODA_c with BERTScore recall in place of METEOR.

Everything but the caption scorer is SODA_c's (:mod:`evaluation.soda`, :mod:`compmo_gen.core.tiou`,
:mod:`evaluation.text`): captions are preprocessed (non-ASCII to space, PTB tokenizer), GT and
predictions sorted by start, ``S[i, j]`` is the score of the pair with SODA's argument order
(candidate = the GT sentence, reference = the predicted sentence, as the reference's
``compute_score(res, gt)`` call passes them), and ``W = IoU * S`` goes through the same DP.
The BERTScore recall of that call is greedy matching of the reference's (prediction's) tokens.

The scorer is the ``bert-score`` package with a local Hugging Face model: roberta-large at layer 17
(the package default, what DEMO reports) when it is in the local cache, or any model folder given
with ``--bertscore-model PATH --bertscore-layers N``. Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from compmo_gen.core.errors import ConfigError, PrerequisiteError
from compmo_gen.core.segments import DenseAnnotation
from evaluation.plan import VideoInput, plan_video
from evaluation.scorer import EvalConfig, build_inputs
from evaluation.soda import soda_cells

log = logging.getLogger(__name__)

#: BERTScore's default English model and layer (bert_score.utils.model2layers), DEMO's SODA(B).
DEFAULT_BERTSCORE_MODEL = "roberta-large"
DEFAULT_BERTSCORE_LAYERS = 17
_HUB_NAMES = ("roberta-large", "FacebookAI/roberta-large")
_CACHE_LIMIT = 1_000_000
_MIN_CHUNK = 10_000


def add_bertscore_arguments(parser: argparse.ArgumentParser) -> None:
    """``--bertscore-model``, ``--bertscore-layers``, ``--bertscore-batch-size``, ``--device``."""
    g = parser.add_argument_group("SODA(B) / BERTScore")
    g.add_argument(
        "--bertscore-model",
        metavar="PATH",
        help="local Hugging Face model folder (default: roberta-large from the local HF cache)",
    )
    g.add_argument(
        "--bertscore-layers",
        type=int,
        metavar="N",
        help="representation layer (default: 17 for roberta-large; required for other models)",
    )
    g.add_argument("--bertscore-batch-size", type=int, default=64, help="sentences per batch")
    g.add_argument("--device", default=None, help="torch device (default: cuda if available)")


def _cached_roberta() -> Path | None:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover - transformers always brings it
        return None
    for name in _HUB_NAMES:
        hit = try_to_load_from_cache(name, "config.json")
        if isinstance(hit, str):
            return Path(hit).parent
    return None


def resolve_model(model: str | None, layers: int | None) -> tuple[Path, int, str]:
    """(model folder, layer, model name for the signature); :class:`PrerequisiteError`/:class:`ConfigError` when unusable."""
    if model is None:
        path = _cached_roberta()
        if path is None:
            raise PrerequisiteError(
                "SODA(B) needs a BERTScore model: roberta-large (layer 17) is not in the local "
                "Hugging Face cache; pass --bertscore-model PATH --bertscore-layers N"
            )
        name = DEFAULT_BERTSCORE_MODEL
    else:
        path = Path(model)
        if not (path / "config.json").is_file():
            raise PrerequisiteError(f"{path}: not a Hugging Face model folder (no config.json)")
        name = path.resolve().name
        if name == "model":  # packaged models keep their files in a folder named "model"
            name = path.resolve().parent.name
    if layers is None:
        if name != DEFAULT_BERTSCORE_MODEL:
            raise ConfigError(f"{path}: pass --bertscore-layers N for this model")
        layers = DEFAULT_BERTSCORE_LAYERS
    from compmo_gen.core.io import load_json

    cfg = load_json(path / "config.json")
    depth = cfg.get("num_hidden_layers", layers) if isinstance(cfg, dict) else None
    if not isinstance(depth, int) or isinstance(depth, bool):
        raise ConfigError(f"{path / 'config.json'}: num_hidden_layers missing or not an integer")
    if not 1 <= layers <= depth:
        raise ConfigError(f"{path}: --bertscore-layers must be in 1..{depth}, got {layers}")
    return path, layers, name


@dataclass
class BertScoreRecall:
    """BERTScore recall of (candidate, reference) pairs, each distinct pair computed once."""

    model_path: Path
    num_layers: int
    name: str
    batch_size: int = 64
    device: str | None = None
    _scorer: object = field(default=None, init=False, repr=False)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> BertScoreRecall:
        path, layers, name = resolve_model(args.bertscore_model, args.bertscore_layers)
        return cls(path, layers, name, args.bertscore_batch_size, args.device)

    @property
    def hash(self) -> str:
        """bert-score's own hash of the settings, with the model's name instead of its local path."""
        from bert_score.utils import get_hash

        return get_hash(self.name, self.num_layers, False, False, False, False)

    def signature(self) -> dict[str, object]:
        return {"bertscore_model": self.name, "bertscore_layers": self.num_layers,
                "bertscore_hash": self.hash}  # fmt: skip

    def _load(self):
        if self._scorer is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from bert_score import BERTScorer

            try:
                self._scorer = BERTScorer(
                    model_type=str(self.model_path), num_layers=self.num_layers, device=self.device
                )
            except (OSError, ValueError) as exc:
                raise PrerequisiteError(
                    f"{self.model_path}: cannot load BERTScore model ({exc})"
                ) from None
        return self._scorer

    def recall(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Recall of each (candidate, reference) pair; 0 when either side is empty."""
        out = np.zeros(len(pairs))
        todo = list(dict.fromkeys(p for p in pairs if p[0].strip() and p[1].strip()))
        if todo:
            log.info(
                "BERTScore: %d distinct pairs with %s L%d", len(todo), self.name, self.num_layers
            )
            _, r, _ = self._load().score(
                [c for c, _ in todo], [r for _, r in todo], batch_size=self.batch_size
            )
            value = dict(zip(todo, r.double().numpy().tolist()))
            for k, p in enumerate(pairs):
                out[k] = value.get(p, 0.0)
        return out


@dataclass(frozen=True)
class SodaB:
    """SODA(B) x100 (F, and mean P and R), per-video (P, R, F) fractions (None: not counted)."""

    score: float
    precision: float
    recall: float
    per_video: dict[str, tuple[float, float, float] | None]
    counted: int


def soda_b(
    gt: Mapping[str, DenseAnnotation],
    pred: Mapping[str, DenseAnnotation],
    scorer: BertScoreRecall,
    *,
    unparseable: Iterable[str] = (),
    cfg: EvalConfig | None = None,
) -> SodaB:
    """SODA(B) over the GT videos, with SODA_c's statuses, tokens, IoU matrix, pairs and DP.

    The videos that count are SODA_c's (``cfg.protocol``): all GT videos in ``strict`` (missing,
    empty or unparseable predictions score 0), only those with a prediction key in ``demo``.
    """
    cfg = cfg or EvalConfig()
    inputs, _ = build_inputs(gt, pred, unparseable, cfg)
    return soda_b_from_inputs(inputs, scorer, cfg)


def soda_b_from_inputs(
    inputs: Sequence[VideoInput], scorer: BertScoreRecall, cfg: EvalConfig
) -> SodaB:
    """SODA(B) of already built inputs (``evaluation.scorer.build_inputs``): no second tokenising."""
    from tqdm import tqdm

    per_video: dict[str, tuple[float, float, float] | None] = {}
    cache: dict[tuple[str, str], float] = {}
    bar = tqdm(total=len(inputs), unit="video", desc="SODA(B)", disable=not cfg.progress)
    chunk = max(cfg.chunk, _MIN_CHUNK)  # bert-score embeds each call's distinct sentences once
    for start in range(0, len(inputs), chunk):
        plans = [
            plan_video(v, cfg.tious, cfg.overlap_thresholds, cfg.max_proposals)
            for v in inputs[start : start + chunk]
        ]
        todo = list(
            dict.fromkeys(p for pl in plans for p in pl.soda_pairs.values() if p not in cache)
        )
        cache.update(zip(todo, scorer.recall(todo).tolist()))
        for pl in plans:
            # (i, j) -> (GT tokens, predicted tokens): every cell above 0 is a pair
            s = {cell: cache[pair] for cell, pair in pl.soda_pairs.items()}
            prf = tuple(float(x) for x in soda_cells(pl.soda_iou, s))
            per_video[pl.video.id] = prf if pl.video.evaluated else None
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        bar.update(len(plans))
    bar.close()
    counted = np.array([v for v in per_video.values() if v is not None]).reshape(-1, 3)
    mean = 100.0 * counted.mean(axis=0) if len(counted) else np.zeros(3)
    return SodaB(float(mean[2]), float(mean[0]), float(mean[1]), per_video, len(counted))

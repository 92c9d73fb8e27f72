"""Dataset card figures: actions per sequence, durations, caption words, vocabulary, QC."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from compmo_gen.composition.quality import summarize
from compmo_gen.dataset.splits import SPLITS

_WORD = re.compile(r"[a-z0-9']+")


def _dist(values: Sequence[float]) -> dict[str, float]:
    v = np.asarray(values, dtype=np.float64)
    if not len(v):
        return {}
    return {
        k: round(float(x), 3)
        for k, x in (
            ("mean", v.mean()),
            ("median", np.median(v)),
            ("min", v.min()),
            ("max", v.max()),
        )
    }


def dataset_card(records: Iterable[Mapping], sources: Mapping | None = None) -> dict:
    """Figures of a dataset from its per-sequence records (``annotation``, ``split``, ``qc``)."""
    records = list(records)
    caps = [seg.caption for r in records for seg in r["annotation"].segments]
    words = [len(_WORD.findall(c.lower())) for c in caps]
    vocab = {w for c in caps for w in _WORD.findall(c.lower())}
    split_caps = {
        s: {seg.caption for r in records if r["split"] == s for seg in r["annotation"].segments}
        for s in SPLITS
    }
    test_in_train = len(split_caps["test"] & split_caps["train"]) / max(len(split_caps["test"]), 1)
    card = {
        "sequences": {s: sum(1 for r in records if r["split"] == s) for s in SPLITS},
        "actions_per_sequence": dict(
            sorted(Counter(len(r["annotation"].segments) for r in records).items())
        ),
        "duration_s": _dist([r["annotation"].duration for r in records]),
        "segment_s": _dist(
            [seg.end - seg.start for r in records for seg in r["annotation"].segments]
        ),
        "words_per_caption": _dist(words),
        "vocabulary": len(vocab),
        "unique_captions": len(set(caps)),
        "test_captions_seen_in_train": round(test_in_train, 4),
        "transition": records[0].get("transition") if records else None,
    }
    if records and all("qc" in r for r in records):
        card["qc"] = _qc_figures(records)
    if any("overlay_rejected" in r.get("qc", {}) for r in records):
        card["multitrack"] = _multitrack_figures(records)
    if sources is not None:
        card["source"] = sources.get("source", {})
        card["splits"] = sources.get("splits", {})
        if "babel" in sources:
            card["babel"] = sources["babel"]
    return card


def _qc_figures(records: Sequence[Mapping]) -> dict:
    """Quality-gate figures of composed sequences (records with ``qc``)."""
    attempts = [
        r["qc"]["attempt"] + 1 if r["qc"]["accepted"] else len(r["qc"]["rejected"]) for r in records
    ]
    reasons = Counter(reason for r in records for fails in r["qc"]["rejected"] for reason in fails)
    return {
        "sequences": len(records),
        "attempts": int(sum(attempts)),
        "rejected_attempts": int(sum(attempts) - sum(1 for r in records if r["qc"]["accepted"])),
        "rejection_rate": round(
            1 - sum(1 for r in records if r["qc"]["accepted"]) / max(sum(attempts), 1), 4
        ),
        "accepted_first_try": round(
            sum(1 for r in records if r["qc"]["attempt"] == 0 and r["qc"]["accepted"])
            / max(len(records), 1),
            4,
        ),
        "not_accepted_after_max_attempts": sum(1 for r in records if not r["qc"]["accepted"]),
        "rejections_by_check": dict(sorted(reasons.items())),
        "figures": summarize([r["qc"]["figures"] for r in records]),
    }


def _multitrack_figures(records: Sequence[Mapping]) -> dict:
    """Share of sequences with simultaneous segments on disjoint parts; overlay rejections."""
    from compmo_gen.core.tracks import concurrent_pairs

    with_pairs = sum(1 for r in records if concurrent_pairs(r["annotation"].segments))
    reasons = Counter(k for r in records for k in r["qc"].get("overlay_rejected", ()))
    return {
        "sequences_with_simultaneous_actions": with_pairs,
        "share": round(with_pairs / max(len(records), 1), 4),
        "overlay_rejections_by_check": dict(sorted(reasons.items())),
    }


def render_card(card: Mapping) -> str:
    """The card as short Markdown."""
    seq, qc = card["sequences"], card.get("qc")
    src = card.get("source", {})
    lines = [
        "# Dataset card",
        "",
        f"- sequences: {sum(seq.values())} (train {seq['train']}, val {seq['val']}, test {seq['test']})"
        + ("" if "babel" in card else f"; transition: {card['transition']}"),
        f"- source: {src.get('source', '?')}, {src.get('clips', '?')} "
        + ("HumanML3D clips" if "babel" in card else "atomic clips")
        + (
            f", {src['kinds']} kinds, left/right {src['side_counts']['left']}/{src['side_counts']['right']}"
            if "kinds" in src
            else ""
        ),
        f"- split: {card.get('splits', {}).get('split_by', '?')}; test captions also in train: {100 * card['test_captions_seen_in_train']:.1f} %",
        f"- actions per sequence: {', '.join(f'{k}: {v}' for k, v in card['actions_per_sequence'].items())}",
        f"- duration (s): {_fmt(card['duration_s'])}; segment (s): {_fmt(card['segment_s'])}",
        f"- words per caption: {_fmt(card['words_per_caption'])}; vocabulary {card['vocabulary']} words; {card['unique_captions']} distinct captions",
    ]
    if "babel" in card:
        lines += _babel_lines(card["babel"])
    for split, omitted in card.get("demo_list_omitted", {}).items():
        lines.append(
            f"- demo/{split}.json omits {omitted['count']} sequences whose gaps or overlaps DEMO "
            f"strings cannot hold (annotations/ and timelines/ have them), e.g. {omitted['examples'][0]}"
        )
    mt = card.get("multitrack")
    if mt:
        lines.append(
            f"- multi-track: {mt['sequences_with_simultaneous_actions']} sequences "
            f"({100 * mt['share']:.1f} %) hold simultaneous actions on disjoint body parts; "
            f"overlay draws rejected by check: {mt['overlay_rejections_by_check'] or 'none'}"
        )
    if qc is None:
        return "\n".join(lines) + "\n"
    lines += [
        f"- quality gate: rejection rate {100 * qc['rejection_rate']:.2f} % of attempts ({qc['rejected_attempts']} of {qc['attempts']}),"
        f" {qc['not_accepted_after_max_attempts']} sequences kept after the last attempt; by check: {qc['rejections_by_check'] or 'none'}",
    ]
    figs = qc.get("figures", {})
    if figs:
        lines += ["", "| QC figure | median | p95 | max |", "|---|---|---|---|"]
        lines += [
            f"| {k} | {v['median']:.4g} | {v['p95']:.4g} | {v['max']:.4g} |"
            for k, v in figs.items()
        ]
    return "\n".join(lines) + "\n"


def _babel_lines(babel: Mapping) -> list[str]:
    """The H3D+BABEL card lines: the policy, and everything dropped or changed (counted)."""
    pol = babel.get("config", {})
    leak = babel.get("leakage", {})
    counts = babel.get("counts", {})
    return [
        "- policy: " + ", ".join(f"{k}={v}" for k, v in pol.items()),
        f"- leakage: shared AMASS sources {leak.get('shared_sources', {})}; "
        f"mirror pairs across splits {leak.get('shared_mirror_pairs', {})}",
        "- counted: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"),
    ]


def _fmt(d: Mapping[str, float]) -> str:
    return ", ".join(f"{k} {d[k]:g}" for k in ("mean", "median", "min", "max") if k in d)

"""Cut the small real-data fixtures of tests/evaluation/fixtures/ from the released files.

    python -m scripts.reference_eval.build_real_fixtures --data DIR

``--data`` holds, unchanged, ActivityNet Captions ``val_1.json``/``val_2.json`` and the paragraph
files ``anet_entities_val_{1,2}_para.json`` and YouCook2 ``yc2_val.json`` (all from
github.com/ttengwang/PDVC, data/*/captiondata/), and TimeChat's example predictions
``timechat_example_pred.json`` (github.com/RenShuhuai-Andy/TimeChat, metrics/dvc/). Nothing is
fetched; the excerpts are byte-for-byte records of those files (only the video set is cut), except
the derived predictions described in each fixture's README.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "tests" / "evaluation" / "fixtures"


def _dump(obj: object, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def anet(data: Path) -> None:
    v1 = json.loads((data / "val_1.json").read_text())
    v2 = json.loads((data / "val_2.json").read_text())
    p1 = json.loads((data / "anet_entities_val_1_para.json").read_text())
    p2 = json.loads((data / "anet_entities_val_2_para.json").read_text())
    past = [k for f in (v1, v2) for k, v in f.items()
            if any(t[1] > v["duration"] + 1e-6 for t in v["timestamps"])]  # fmt: skip
    only1 = [k for k in v1 if k not in v2][:3]
    initial = [k for f in (v1, v2) for k, v in f.items()
               if any(re.search(r"\b[A-Z]\.\s*$", s) for s in v["sentences"])]  # fmt: skip
    unsorted = [
        k
        for k in v1
        if k in v2
        and k in p1
        and [t[0] for t in v1[k]["timestamps"]] != sorted(t[0] for t in v1[k]["timestamps"])
    ]
    plain = [k for k in v1 if k in v2 and k in p1]
    vids = list(dict.fromkeys(past + only1 + initial + unsorted[:8] + plain[:14]))
    _dump({k: v1[k] for k in vids if k in v1}, OUT / "anet_val" / "val_1.json")
    _dump({k: v2[k] for k in vids if k in v2}, OUT / "anet_val" / "val_2.json")
    _dump({k: p1[k] for k in vids if k in p1}, OUT / "anet_val" / "para_val_1.json")
    _dump({k: p2[k] for k in vids if k in p2}, OUT / "anet_val" / "para_val_2.json")
    # Predictions: val_2's segments of each video in reverse file order, the last one dropped when
    # there are more than two (so neither reference set is matched exactly and order matters);
    # val_1-only videos: the first has no prediction (missing), the others val_1's own segments.
    results = {}
    for k in vids:
        if k in v2:
            segs = list(zip(v2[k]["timestamps"], v2[k]["sentences"], strict=True))
            segs = segs[:-1] if len(segs) > 2 else segs
            results[k] = [{"sentence": s, "timestamp": t} for t, s in reversed(segs)]
        elif k != only1[0]:
            results[k] = [
                {"sentence": s, "timestamp": t}
                for t, s in zip(v1[k]["timestamps"], v1[k]["sentences"], strict=True)
            ]
    sub = {"version": "VERSION 1.0", "results": results,
           "external_data": {"used": False, "details": "derived from val_2.json"}}  # fmt: skip
    _dump(sub, OUT / "anet_val" / "predictions.json")


def yc2(data: Path) -> None:
    gt = json.loads((data / "yc2_val.json").read_text())
    pred = json.loads((data / "timechat_example_pred.json").read_text())
    vids = [k for k in pred if "v_" + k.rsplit(".", 1)[0] in gt][:30]
    ids = ["v_" + k.rsplit(".", 1)[0] for k in vids]
    _dump({k: gt[k] for k in ids}, OUT / "yc2_timechat" / "yc2_val.json")
    _dump({k: pred[k] for k in vids}, OUT / "yc2_timechat" / "timechat_pred.json")
    # The same videos in YouCook2's own release shape (youcookii_annotations_trainval.json),
    # rebuilt from PDVC's conversion: ids without "v_", {id, segment, sentence} per segment.
    native = {"database": {
        k[2:]: {"duration": gt[k]["duration"], "subset": "validation", "recipe_type": "unknown",
                "video_url": f"https://www.youtube.com/watch?v={k[2:]}",
                "annotations": [{"id": i, "segment": t, "sentence": s} for i, (t, s) in
                                enumerate(zip(gt[k]["timestamps"], gt[k]["sentences"], strict=True))]}
        for k in ids}}  # fmt: skip
    _dump(native, OUT / "yc2_timechat" / "youcookii_annotations_val_excerpt.json")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True)
    args = ap.parse_args()
    anet(args.data)
    yc2(args.data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

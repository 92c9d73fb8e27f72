"""`compmo-eval compare`: paired bootstrap between two result files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from evaluation.cli import main

TIOUS = ("0.3", "0.5", "0.7", "0.9")
METRICS = ("Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "METEOR", "ROUGE_L", "CIDEr", "Precision",
           "Recall")  # fmt: skip


def write(folder: Path, name: str, values: np.ndarray, ids=None, **sig) -> Path:
    """values: (n_videos,) per-video value used for every metric."""
    ids = ids or [f"v{i}" for i in range(len(values))]
    recs = [
        {"id": v, "evaluated": True, "per_tiou": {t: dict.fromkeys(METRICS, float(x)) for t in TIOUS},
         "SODA_c": {"P": float(x), "R": float(x), "F": float(x)}, "mean_tiou": float(x),
         "overlap_f1": float(x)}
        for v, x in zip(ids, values)
    ]  # fmt: skip
    (folder / f"{name}.per_video.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    m = 100 * float(np.mean(values))
    metrics = {k: m for k in ("SODA_c", *METRICS, "tIoU", "F1")}
    doc = {"signature": {"protocol": "strict", "videos": len(values), **sig}, "metrics": metrics}
    path = folder / f"{name}.json"
    path.write_text(json.dumps(doc))
    return path


def test_shift_is_significant_and_noise_is_not(tmp_path, capsys):
    rng = np.random.default_rng(0)
    base = rng.uniform(0.2, 0.8, 200)
    a = write(tmp_path, "a", base + 0.02)
    b = write(tmp_path, "b", base)
    out_json = tmp_path / "cmp.json"
    assert main(["compare", str(a), str(b), "--n-boot", "300", "--out", str(out_json)]) == 0
    out = capsys.readouterr().out
    soda = next(line for line in out.splitlines() if line.startswith("SODA "))
    assert "+2.000" in soda and soda.endswith("*")
    doc = json.loads(out_json.read_text())
    assert abs(doc["tests"]["SODA"]["delta"] - 2.0) < 1e-9
    assert abs(doc["tests"]["F1 %"]["delta"] - 2.0) < 1e-9
    assert doc["tests"]["SODA"]["p_value"] < 0.01 and doc["videos"] == 200
    noisy = base + rng.normal(0, 0.05, 200)
    noisy += base.mean() - noisy.mean()
    c = write(tmp_path, "c", noisy)
    assert main(["compare", str(c), str(b), "--n-boot", "300"]) == 0
    soda = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("SODA "))
    assert not soda.endswith("*")


def test_refuses_other_gt_or_protocol(tmp_path, capsys):
    v = np.full(10, 0.5)
    a = write(tmp_path, "a", v)
    b = write(tmp_path, "b", v, ids=[f"w{i}" for i in range(10)])
    c = write(tmp_path, "c", v, protocol="demo")
    assert main(["compare", str(a), str(b)]) == 2
    err = capsys.readouterr().err
    assert "different videos" in err and len(err.strip().splitlines()) == 1
    assert main(["compare", str(a), str(c)]) == 2
    assert "protocol" in capsys.readouterr().err
    (tmp_path / "b.per_video.jsonl").unlink()
    assert main(["compare", str(a), str(b)]) == 2
    assert "--per-video" in capsys.readouterr().err

"""`compmo-eval report`: the HTML parses, every image it references exists, timelines are SVG."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import numpy as np

from compmo_gen.core.formats import dump_annotations
from compmo_gen.core.segments import DenseAnnotation, Segment
from evaluation.cli import main
from evaluation.html_report import sample_ids

TIOUS = ("0.3", "0.5", "0.7", "0.9")
PNG = b"\x89PNG\r\n\x1a\n"


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.imgs, self.tags, self.svgs, self._svg = [], [], [], None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.imgs.append(dict(attrs)["src"])


def _svgs(text: str) -> list[str]:
    out, pos = [], 0
    while (start := text.find("<svg", pos)) >= 0:
        end = text.index("</svg>", start) + len("</svg>")
        out.append(text[start:end])
        pos = end
    return out


def make_inputs(tmp: Path, n: int = 12) -> dict:
    rng = np.random.default_rng(0)
    gt, preds = [], {"good": [], "weak": []}
    for i in range(n):
        k = 2 + i % 4
        d = float(10 + 5 * i)
        bounds = np.linspace(0, d, k + 1)
        segs = tuple(Segment(float(bounds[j]), float(bounds[j + 1]), f"action {j} & <{i}>")
                     for j in range(k))  # fmt: skip
        gt.append(DenseAnnotation(f"v{i}", d, segs))
        preds["good"].append(DenseAnnotation(f"v{i}", d, segs[:-1]))
        if i != 3:  # one video without a prediction
            preds["weak"].append(DenseAnnotation(f"v{i}", d, (Segment(0.0, d / 2, "walks"),)))
    dump_annotations(gt, tmp / "gt.json", fmt="anet-gt")
    files = {}
    for name, level in (("good", 0.6), ("weak", 0.2)):
        dump_annotations(preds[name], tmp / f"{name}_pred.json", fmt="anet-pred", role="pred")
        recs = []
        for a in gt:
            x = float(np.clip(level + rng.normal(0, 0.1), 0, 1))
            recs.append({"id": a.id, "evaluated": True,
                         "per_tiou": {t: {"CIDEr": x, "METEOR": x, "ROUGE_L": x, "Bleu_1": x,
                                          "Bleu_4": x} for t in TIOUS},
                         "SODA_c": {"P": x, "R": x, "F": x}, "mean_tiou": x, "overlap_f1": x})  # fmt: skip
        (tmp / f"{name}.per_video.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
        m = 100 * float(np.mean([r["overlap_f1"] for r in recs]))
        doc = {"signature": {"protocol": "strict", "videos": n}, "counts": {"gt_videos": n},
               "metrics": {k: m for k in ("SODA_c", "CIDEr", "METEOR", "ROUGE_L", "Bleu_1",
                                          "Bleu_4", "tIoU", "F1")}}  # fmt: skip
        (tmp / f"{name}.json").write_text(json.dumps(doc))
        files[name] = (tmp / f"{name}.json", tmp / f"{name}_pred.json")
    return files


def _argv(tmp: Path, files: dict, *extra: str) -> list[str]:
    return ["report", str(files["good"][0]), str(files["weak"][0]), "--gt", str(tmp / "gt.json"),
            "--predictions", str(files["good"][1]), str(files["weak"][1]), "--samples", "4",
            *extra]  # fmt: skip


def test_embedded_report_renders(tmp_path, capsys):
    files = make_inputs(tmp_path)
    out = tmp_path / "r" / "report.html"
    assert main(_argv(tmp_path, files, "--out", str(out), "--ci", "--n-boot", "50")) == 0
    text = out.read_text()
    page = Page()
    page.feed(text)
    page.close()
    assert page.tags[0] == "html" and "table" in page.tags
    # breakdowns are HTML tables (2 systems x by actions / by duration), never markdown in <pre>
    assert text.count('<table class="breakdown">') == 4 and "| ---" not in text
    assert len(page.imgs) == 2
    for src in page.imgs:  # every image it references exists: here, embedded PNG data
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == PNG
    svgs = _svgs(text)
    assert len(svgs) == 4
    for svg in svgs:
        root = ET.fromstring(svg)  # well-formed, captions escaped
        labels = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
        assert labels[:1] == ["GT"] and "good" in labels and "weak" in labels
    assert "action 0 &amp; &lt;" in text
    sampled = sample_ids([f"v{i}" for i in range(12)], 4, 0)
    assert all(f"<h3>{v} (" in text for v in sampled)
    assert "(no prediction)" in text or "v3" not in sampled
    # byte-identical on a second run
    assert main(_argv(tmp_path, files, "--out", str(tmp_path / "r2.html"), "--ci", "--n-boot",
                      "50")) == 0  # fmt: skip
    assert (tmp_path / "r2.html").read_text() == text


def test_linked_assets_exist(tmp_path):
    files = make_inputs(tmp_path)
    out = tmp_path / "site" / "index.html"
    argv = _argv(tmp_path, files, "--out", str(out), "--assets", str(tmp_path / "site" / "img"))
    assert main(argv) == 0
    page = Page()
    page.feed(out.read_text())
    assert len(page.imgs) == 2
    for src in page.imgs:
        assert not src.startswith(("/", "data:"))
        assert (out.parent / src).read_bytes()[:8] == PNG


def test_report_errors(tmp_path, capsys):
    files = make_inputs(tmp_path)
    argv = _argv(tmp_path, files, "--out", str(tmp_path / "x.html"), "--assets", "/tmp/elsewhere")
    assert main(argv) == 2
    assert "--assets" in capsys.readouterr().err
    lines = (tmp_path / "weak.per_video.jsonl").read_text().splitlines()
    (tmp_path / "weak.per_video.jsonl").write_text("\n".join(lines[1:]) + "\n")
    assert main(_argv(tmp_path, files, "--out", str(tmp_path / "x.html"))) == 2
    assert "was it scored on this ground truth" in capsys.readouterr().err
    (tmp_path / "weak.per_video.jsonl").unlink()
    assert main(_argv(tmp_path, files, "--out", str(tmp_path / "x.html"))) == 2
    err = capsys.readouterr().err
    assert "weak.json" in err and "per-video" in err
    assert main(["report", str(files["good"][0]), "--gt", str(tmp_path / "gt.json"),
                 "--predictions", "a", "b"]) == 2  # fmt: skip

"""Gallery: deterministic selection, HTML that references existing GIFs, escaping, skip counts."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from compmo_gen.cli import main
from compmo_gen.composition.skeleton import REST_POSE
from compmo_gen.core.formats import dump_annotations
from compmo_gen.core.segments import DenseAnnotation, Segment
from compmo_gen.render.gallery import Card, gallery_html, gif_name, select_ids

PIL = pytest.importorskip("PIL")
from PIL import Image  # noqa: E402


def sway(n: int, phase: float) -> np.ndarray:
    t = np.arange(n)[:, None, None] / 20.0
    out = np.repeat(REST_POSE[None], n, 0)
    out[..., 0] += 0.1 * np.sin(2 * np.pi * t[..., 0] + phase)
    return out.astype(np.float32)


def make_dataset(root, ids=("s0", "s1", "s2", "s3")):  # noqa: ANN001, ANN201
    (root / "motions").mkdir(parents=True)
    anns = []
    for k, vid in enumerate(ids):
        if vid != "s3":  # s3 has annotations but no motion file
            np.save(root / "motions" / f"{vid}.npy", sway(16 + 4 * k, k))
        d = (16 + 4 * k) / 20.0
        caption = "waves <b>hello</b> & bows" if k == 1 else f"sways {k}"
        anns.append(
            DenseAnnotation(vid, d, (Segment(0, d / 2, caption), Segment(d / 2, d, "stands still")))
        )
    dump_annotations(anns[:2], root / "annotations" / "train.json", fmt="anet-gt")
    dump_annotations(anns[2:], root / "annotations" / "test.json", fmt="anet-gt")
    return root


def test_select_ids_is_seeded_and_keeps_order() -> None:
    ids = [f"id{i}" for i in range(50)]
    a, b = select_ids(ids, 10, seed=3), select_ids(ids, 10, seed=3)
    assert a == b and len(set(a)) == 10 and a == sorted(a, key=ids.index)
    assert select_ids(ids, 10, seed=4) != a
    assert select_ids(ids[:5], 24) == ids[:5]


def test_gif_names_are_safe_and_unique() -> None:
    assert gif_name(3, "../etc/passwd") == "0003_.._etc_passwd.gif"
    assert "/" not in gif_name(0, "a/b c") and gif_name(0, "x") != gif_name(1, "x")


def test_html_escapes_and_colours() -> None:
    gt = DenseAnnotation("<x>", 2.0, (Segment(0, 1, "a <script>"), Segment(1, 2, "b & c")))
    page = gallery_html("T & co", [Card("gifs/a.gif", gt, DenseAnnotation("<x>", 2.0, ()))])
    assert "<script>" not in page and "a &lt;script&gt;" in page and "b &amp; c" in page
    assert "#1f77b4" in page and "#ff7f0e" in page and "(no segments)" in page


def test_cli_gallery_references_existing_files(tmp_path) -> None:
    ds = make_dataset(tmp_path / "ds")
    pred = tmp_path / "pred.json"
    pred.write_text(
        json.dumps({"results": {"s1": [{"timestamp": [0.0, 0.5], "sentence": "waves"}]}})
    )
    out = tmp_path / "gallery"
    args = [
        "gallery",
        str(ds),
        "--n",
        "24",
        "--out",
        str(out),
        "--pred",
        str(pred),
        "--width",
        "200",
        "-q",
    ]
    assert main(args) == 0
    page = (out / "index.html").read_text()
    srcs = re.findall(r'<img src="([^"]+)"', page)
    assert len(srcs) == 3  # s3 skipped: no motion file
    for src in srcs:
        with Image.open(out / src) as gif:
            assert gif.size[0] == 200 and gif.n_frames >= 8
    assert "waves &lt;b&gt;hello&lt;/b&gt; &amp; bows" in page and "Predicted" in page
    manifest = json.loads((out / "gallery.json").read_text())
    assert [i["id"] for i in manifest["items"]] == ["s2", "s0", "s1"]  # test.json, then train.json
    assert len(manifest["skipped"]) == 1 and "s3" in manifest["skipped"][0]
    assert "1 skipped" in page
    first = (out / "index.html").read_bytes(), (out / srcs[0]).read_bytes()
    assert main(args) == 0  # byte-identical on a rerun
    assert first == ((out / "index.html").read_bytes(), (out / srcs[0]).read_bytes())


def test_cli_gallery_split_ids_and_errors(tmp_path, capsys) -> None:
    ds = make_dataset(tmp_path / "ds")
    out = tmp_path / "g"
    assert main(["gallery", str(ds), "--split", "train", "--n", "1", "--out", str(out), "-q"]) == 0
    assert len(re.findall("<img ", (out / "index.html").read_text())) == 1
    assert (
        main(["gallery", str(ds), "--ids", "s2", "s0", "--out", str(out), "-q", "--stride", "1"])
        == 0
    )
    assert re.findall(r"<h2>(\w+) ", (out / "index.html").read_text()) == ["s2", "s0"]
    assert main(["gallery", str(ds), "--ids", "nope", "--out", str(out)]) == 2
    assert main(["gallery", str(ds), "--ids", "s3", "--out", str(out)]) == 2
    assert "no sequence could be rendered" in capsys.readouterr().err

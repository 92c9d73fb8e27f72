"""Rendering: frame count, size, segment colours at boundaries, timelines, writers, CLI errors."""

from __future__ import annotations

import contextlib
import json

import numpy as np
import pytest

from compmo_gen.cli import main
from compmo_gen.composition.skeleton import REST_POSE, bone_directions, forward_kinematics
from compmo_gen.core.formats import dump_annotations
from compmo_gen.core.segments import DenseAnnotation, Segment
from compmo_gen.render.frames import (
    NEUTRAL,
    PALETTE,
    FrameRenderer,
    RenderStyle,
    active_index,
    assign_lanes,
    match_colors,
    shade,
)
from compmo_gen.render.output import render_motion

PIL = pytest.importorskip("PIL")
from PIL import Image  # noqa: E402

STYLE = RenderStyle(width=240, view_height=150)


def walk(n: int = 40, speed: float = 1.0) -> np.ndarray:
    """A procedural walk on the exact HumanML3D skeleton: legs swing, the root moves along +z."""
    t = np.arange(n) / 20.0
    dirs = np.repeat(bone_directions(REST_POSE)[None], n, 0)
    for knee, ankle, sign in ((4, 7, 1.0), (5, 8, -1.0)):
        a = sign * 0.4 * np.sin(2 * np.pi * t)
        rot = np.stack([np.ones_like(a), np.cos(a), np.sin(a)], -1)
        for j in (knee, ankle):
            d = dirs[:, j].copy()
            dirs[:, j, 1] = rot[:, 1] * d[:, 1] - rot[:, 2] * d[:, 2]
            dirs[:, j, 2] = rot[:, 2] * d[:, 1] + rot[:, 1] * d[:, 2]
    root = REST_POSE[0] + np.stack([0 * t, 0 * t, speed * t], -1)
    return forward_kinematics(root, dirs).astype(np.float32)


def two_segments(n: int) -> DenseAnnotation:
    d = n / 20.0
    return DenseAnnotation(
        "a", d, (Segment(0.0, d / 2, "walks forward"), Segment(d / 2, d, "keeps walking"))
    )


def colour_pixels(img: Image.Image, color: tuple[int, int, int], height: int) -> int:
    """Pixels of the bone colour family (centre/right/left shades) inside the 3-D viewport."""
    arr = np.asarray(img.convert("RGB"))[:height]
    return sum(int((arr == np.array(shade(color, s))).all(-1).sum()) for s in (0, 1, 2))


def test_active_index_and_lanes() -> None:
    segs = (Segment(0, 2, "a"), Segment(2, 5, "b"), Segment(1, 3, "c"))
    assert active_index(segs, 0.5, 5) == 0
    assert active_index(segs, 1.5, 5) == 2  # latest start wins
    assert active_index(segs, 4.0, 5) == 1
    assert active_index(segs, 5.0, 5) == 1  # the last frame belongs to the last segment
    assert active_index((Segment(0, 1, "a"),), 2.0, 5) is None
    assert assign_lanes(segs) == [0, 0, 1]


def test_match_colors_follow_best_overlap() -> None:
    gt = (Segment(0, 2, "a"), Segment(2, 5, "b"))
    pred = (Segment(0.1, 1.9, "x"), Segment(2.5, 4.0, "y"), Segment(6, 7, "z"))
    assert match_colors(pred, gt) == [PALETTE[0], PALETTE[1], NEUTRAL]


def test_gif_frames_size_and_colour_change_at_boundary(tmp_path) -> None:
    joints = walk(40)
    gt = two_segments(40)  # boundary at 1.0 s = frame 20
    out = tmp_path / "clip.gif"
    assert render_motion(joints, out, gt, style=STYLE) == 40
    renderer = FrameRenderer(joints, gt, style=STYLE)
    with Image.open(out) as gif:
        assert gif.n_frames == 40
        assert gif.size == (240, renderer.height)
        counts = []
        for i in (0, 19, 20, 39):
            gif.seek(i)
            frame = gif.convert("RGB")
            counts.append(
                (colour_pixels(frame, PALETTE[0], 150), colour_pixels(frame, PALETTE[1], 150))
            )
    assert counts[0][0] > 50 and counts[0][1] == 0
    assert counts[1][0] > 50 and counts[1][1] == 0
    assert counts[2][0] == 0 and counts[2][1] > 50
    assert counts[3][0] == 0 and counts[3][1] > 50


def test_pred_timeline_uses_matched_colours(tmp_path) -> None:
    joints = walk(40)
    gt = two_segments(40)
    pred = DenseAnnotation("a", 2.0, (Segment(1.2, 2.0, "walks"),))
    plain, both = (
        FrameRenderer(joints, gt, style=STYLE),
        FrameRenderer(joints, gt, pred, style=STYLE),
    )
    assert both.height > plain.height
    img = np.asarray(both.frame(0))
    pred_row_y = both.tl_top + both.row_h + 3 + both.row_h // 2
    x_late, x_early = round(both.time_x(1.8)), round(both.time_x(0.5))
    assert tuple(img[pred_row_y, x_late]) == PALETTE[1]  # overlaps the 2nd GT segment most
    assert tuple(img[pred_row_y, x_early]) != PALETTE[0]  # nothing predicted there


def test_cursor_moves_and_output_is_deterministic(tmp_path) -> None:
    joints, gt = walk(30), two_segments(30)
    r = FrameRenderer(joints, gt, style=STYLE)
    row = r.tl_top + 2
    red = [
        np.flatnonzero((np.asarray(r.frame(i))[row] == (220, 20, 60)).all(-1)).mean()
        for i in (0, 15, 29)
    ]
    assert red[0] < red[1] < red[2]
    a, b = tmp_path / "a.gif", tmp_path / "b.gif"
    render_motion(joints, a, gt, style=STYLE)
    render_motion(joints, b, gt, style=STYLE)
    assert a.read_bytes() == b.read_bytes()


def test_png_sheet_one_tile_per_segment(tmp_path) -> None:
    joints, gt = walk(40), two_segments(40)
    out = tmp_path / "sheet.png"
    assert render_motion(joints, out, gt, style=STYLE) == 2
    h = FrameRenderer(joints, gt, style=STYLE).height
    with Image.open(out) as im:
        assert im.size == (2 * 240, h)
    assert render_motion(joints, out, gt, style=STYLE, sheet_frames=6) == 6
    with Image.open(out) as im:
        assert im.size == (4 * 240, 2 * h)


def test_mp4_through_imageio_ffmpeg(tmp_path) -> None:
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    out = tmp_path / "clip.mp4"
    assert render_motion(walk(24), out, two_segments(24), style=STYLE) == 24
    n_frames, secs = imageio_ffmpeg.count_frames_and_secs(str(out))
    assert n_frames == 24 and secs == pytest.approx(1.2, abs=0.06)


def make_dataset(root, n: int = 40):  # noqa: ANN001, ANN201
    (root / "motions").mkdir(parents=True)
    np.save(root / "motions" / "a.npy", walk(n))
    dump_annotations([two_segments(n)], root / "annotations" / "test.json", fmt="anet-gt")
    return root


def test_cli_render_with_predictions(tmp_path, capsys) -> None:
    ds = make_dataset(tmp_path / "ds")
    pred = tmp_path / "pred.json"
    pred.write_text(json.dumps({"results": {"a": [{"timestamp": [0, 1], "sentence": "walks"}]}}))
    out = tmp_path / "out" / "a.gif"
    assert (
        main(
            [
                "render",
                str(ds),
                "--id",
                "a",
                "--out",
                str(out),
                "--pred",
                str(pred),
                "--width",
                "200",
                "-q",
            ]
        )
        == 0
    )
    with Image.open(out) as gif:
        assert gif.n_frames == 40 and gif.size[0] == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--id", "missing"], "not in test.json"),
        (["--id", "../a"], "not in"),
        (["--id", "bad"], "NaN"),
        (["--id", "a", "--split", "train"], "no such annotation file"),
        (["--id", "a", "--sheet-frames", "-1"], "--sheet-frames"),
        (["--id", "a", "--azimuth", "nan"], "--azimuth"),
        (["--id", "a", "--elevation", "inf"], "--elevation"),
        (["--id", "a", "--elevation", "91"], "--elevation"),
    ],
)
def test_cli_errors_are_one_line(tmp_path, capsys, args, message) -> None:
    ds = make_dataset(tmp_path / "ds")
    bad = walk(10)
    bad[3, 4, 1] = np.nan
    np.save(ds / "motions" / "bad.npy", bad)
    dump_annotations(
        [two_segments(40), DenseAnnotation("bad", 0.5, (Segment(0, 0.5, "x"),))],
        ds / "annotations" / "test.json",
        fmt="anet-gt",
    )
    with contextlib.suppress(SystemExit):  # option errors exit from argparse
        assert main(["render", str(ds), *args, "--out", str(tmp_path / "x.gif")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


@pytest.mark.parametrize("suffix", [".gif", ".png"])
def test_cli_output_that_is_a_folder_is_one_line(tmp_path, capsys, suffix) -> None:
    ds = make_dataset(tmp_path / "ds")
    (tmp_path / f"x{suffix}").mkdir()
    assert main(["render", str(ds), "--id", "a", "--out", str(tmp_path / f"x{suffix}")]) == 2
    err = capsys.readouterr().err.strip()
    assert "is a directory" in err and "\n" not in err


def test_smooth_matches_scipy_gaussian_filter() -> None:
    ndimage = pytest.importorskip("scipy.ndimage")
    from compmo_gen.render.camera import smooth

    x = np.random.default_rng(0).normal(size=(90, 3))
    for n in (1, 7, 90):
        ref = ndimage.gaussian_filter1d(x[:n], 20.0, axis=0, mode="nearest")
        np.testing.assert_allclose(smooth(x[:n], 20.0), ref, atol=1e-12)


@pytest.mark.parametrize("camera", ["follow", "fixed"])
def test_every_joint_stays_in_view(camera: str) -> None:
    from compmo_gen.render.camera import project

    style = RenderStyle(width=240, view_height=150, camera=camera)
    rng = np.random.default_rng(0)
    for speed in (0.0, 1.0, 3.0):  # standing, walking, running 6 m in 2 s
        joints = walk(40, speed) + rng.normal(0, 0.02, (40, 22, 3)).astype(np.float32)
        xy = project(joints, style).xy
        assert (xy[..., 0] >= 0).all() and (xy[..., 0] <= 240).all()
        assert (xy[..., 1] >= 0).all() and (xy[..., 1] <= 150).all()


def test_bare_humanml3d_motion_shows_its_captions(tmp_path) -> None:
    pytest.importorskip("compmo_gen.sources.humanml3d")
    from compmo_gen.render.cli import load_item

    (tmp_path / "new_joints").mkdir()
    (tmp_path / "texts").mkdir()
    np.save(tmp_path / "new_joints" / "000001.npy", walk(40))
    (tmp_path / "texts" / "000001.txt").write_text(
        "a person walks.#a/DET person/NOUN walk/VERB#0.0#0.0\n"
        "someone strolls#someone/PRON stroll/VERB#0.0#0.0\n"
        "then steps#then/ADV step/VERB#1.0#1.5\n"
    )
    joints, gt = load_item(tmp_path / "new_joints" / "000001.npy", None)
    assert joints.shape == (40, 22, 3)
    assert [(s.start, s.end, s.caption) for s in gt.segments] == [
        (0.0, 2.0, "a person walks"),
        (1.0, 1.5, "then steps"),
    ]
    np.save(tmp_path / "plain.npy", walk(10))
    assert load_item(tmp_path / "plain.npy", None)[1] is None


def test_cli_render_with_demo_predictions_for_many_ids(tmp_path) -> None:
    ds = make_dataset(tmp_path / "ds")
    pred = tmp_path / "result.json"
    # DEMO strings keep start times only: the writer needs each duration to know nothing is lost
    others = [DenseAnnotation(f"z{k}", 1.0, (Segment(0, 1, "x"),)) for k in range(3)]
    mine = DenseAnnotation("a", 2.0, (Segment(0, 0.8, "walks"), Segment(0.8, 2.0, "walks on")))
    dump_annotations([*others, mine], pred, fmt="demo", role="pred")
    out = tmp_path / "a.png"
    assert main(["render", str(ds), "--id", "a", "--out", str(out), "--pred", str(pred), "-q"]) == 0
    assert out.stat().st_size > 0
    from compmo_gen.render.cli import dataset_durations, load_predictions

    preds = load_predictions(pred, dataset_durations(ds, "a", 40))
    assert list(preds) == ["a"] and preds["a"].segments[-1].end == pytest.approx(2.0)

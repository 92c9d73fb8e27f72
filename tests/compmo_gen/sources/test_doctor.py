"""`compmo-gen doctor` on HumanML3D-shaped folders with the usual set-up mistakes, and on the real
sample when present."""

from __future__ import annotations

import json

import numpy as np

from compmo_gen.cli import main
from compmo_gen.composition.skeleton import REST_POSE

LINE = "a person walks.#a/DET person/NOUN walk/VERB#0.0#0.0\n"


def clip(n: int = 60) -> np.ndarray:
    p = np.repeat(REST_POSE[None], n, 0).astype(np.float32)
    p[:, :, 2] += np.linspace(0, 1, n, dtype=np.float32)[:, None]  # walks 1 m along +z
    return p


def good_folder(hml_folder, root):
    clips = {i: (clip(), LINE) for i in ("000000", "M000000", "000001", "M000001", "000002", "M000002")}  # fmt: skip
    splits = {"train": ["000000", "M000000"], "val": ["000001", "M000001"], "test": ["000002", "M000002"]}  # fmt: skip
    splits["train_val"] = splits["train"] + splits["val"]
    splits["all"] = [i for s in ("train", "val", "test") for i in splits[s]]
    return hml_folder(root, clips, splits)


def run(path, capsys, *extra) -> tuple[int, str]:
    code = main(["doctor", str(path), "-q", *extra])
    return code, capsys.readouterr().out


def test_a_clean_folder_passes(hml_folder, tmp_path, capsys) -> None:
    root = good_folder(hml_folder, tmp_path / "hml")
    (root / "index.csv").write_text("source_path,start_frame,end_frame,new_name\na.npy,0,60,000000.npy\n")  # fmt: skip
    code, out = run(root, capsys, "--json", str(tmp_path / "d.json"))
    assert code == 0, out
    assert "ERROR" not in out and "ok: 6 usable ids" in out
    assert "train.txt: 2 ids, the official file has 23384" in out  # a subset is reported, not fatal
    report = json.loads((tmp_path / "d.json").read_text())
    assert report["verdict"] == "ok" and report["counts"]["split_all"] == 6


def test_common_mistakes_are_named_with_a_fix(hml_folder, tmp_path, capsys) -> None:
    root = good_folder(hml_folder, tmp_path / "hml")
    nan = clip()
    nan[3, 4, 1] = np.nan
    np.save(root / "new_joints" / "000001.npy", nan)
    np.save(root / "new_joints" / "M000001.npy", np.zeros((60, 263), np.float32))  # a feature file
    np.save(root / "new_joints" / "000002.npy", clip(600))  # 60 fps left in place
    zup = clip()[..., [0, 2, 1]] * [1, -1, 1]
    np.save(root / "new_joints" / "M000002.npy", (zup * 100).astype(np.float32))  # z up, cm
    (root / "texts" / "000000.txt").write_text("a person walks.#a/DET person/NOUNS#0.0#0.0\nbroken line\n")  # fmt: skip
    (root / "texts" / "M000000.txt").unlink()
    (root / "test.txt").write_text("000002\nM000002\n000000\n")  # overlaps train
    code, out = run(root, capsys)
    assert code == 1, out  # errors, but some ids are usable
    for expect in (
        "1 ids: new_joints: NaN or infinite values (000001)",
        "(T, 263) features: a new_joint_vecs file in new_joints/ (M000001)",
        "1 clips longer than any official one",
        "not y-up",
        "1 motions have no texts/<id>.txt (M000000)",
        "train.txt and test.txt share 1 ids (000000): broken splits",
        "caption lines: bad pos tags",
        "caption lines: malformed",
    ):
        assert expect in out, (expect, out)
    assert out.count("fix:") >= 6


def test_unusable_folders_exit_2(tmp_path, capsys) -> None:
    (tmp_path / "amass" / "CMU" / "01").mkdir(parents=True)
    np.savez(tmp_path / "amass" / "CMU" / "01" / "01_01_poses.npz", poses=np.zeros((2, 156)))
    code, out = run(tmp_path / "amass", capsys)
    assert code == 2 and "compmo-gen smpl2joints" in out
    (tmp_path / "raw" / "joints").mkdir(parents=True)
    code, out = run(tmp_path / "raw", capsys)
    assert code == 2 and "--skeleton smplh52 --fps 20" in out
    (tmp_path / "vecs" / "new_joint_vecs").mkdir(parents=True)
    code, out = run(tmp_path / "vecs", capsys)
    assert code == 2 and "no new_joints/ folder" in out and "unusable" in out


def test_real_sample(humanml3d_sample, capsys) -> None:
    code, out = run(humanml3d_sample, capsys)
    assert code == 1 and "1 usable ids" in out  # two clips, one caption file, 29,228 listed ids
    assert "29226 ids of the split files have no new_joints" in out
    assert "not y-up" not in out and "not on the HumanML3D skeleton" not in out


def _huge_header(p) -> None:
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (400000000, 22, 3), }"
    header += " " * (118 - len(header)) + "\n"  # claims 98 GiB
    p.write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode())


def _npz(p) -> None:
    with open(p, "wb") as f:
        np.savez(f, joints=clip())


def _truncated(p) -> None:
    np.save(p, clip())
    p.write_bytes(p.read_bytes()[:300])


def _fifo(p) -> None:
    import os

    os.mkfifo(p)


def test_hostile_motion_and_text_files_are_one_reason_each(hml_folder, tmp_path, capsys) -> None:
    """An npz named .npy, a 98 GiB header, a truncated file, a folder or FIFO in place of a file:
    one counted reason per file, never a traceback, a hang or a 98 GiB allocation."""
    import resource

    root = good_folder(hml_folder, tmp_path / "hml")
    bad = {"000000": _npz, "M000000": _huge_header, "000001": _truncated, "M000001": _fifo}
    for vid, make in bad.items():
        (root / "new_joints" / f"{vid}.npy").unlink()
        make(root / "new_joints" / f"{vid}.npy")
    (root / "texts" / "000002.txt").unlink()
    _fifo(root / "texts" / "000002.txt")
    (root / "new_joints" / "folder.npy").mkdir()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    code, out = run(root, capsys)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 500_000  # kB
    assert code == 1 and "1 usable ids" in out, out
    assert "1 ids: new_joints: not an .npy array (an .npz archive?) (000000)" in out
    assert "M000000" in out and "000001" in out
    assert "new_joints: not a regular file (M000001, folder)" in out
    assert "1 ids: texts: not a regular file (000002)" in out

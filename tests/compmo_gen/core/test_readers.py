"""The reading layer (compmo_gen.core.readers, re-exported by core.io): every kind of non-file and
every JSON/YAML limit is one AnnotationError, never a traceback, never a blocked open."""

from __future__ import annotations

import os
import socket
import sys
import threading

import pytest

from compmo_gen.core import io
from compmo_gen.core.errors import AnnotationError


def _kinds(tmp_path):
    """A directory, a FIFO, a socket, a device link and a link loop (name -> path)."""
    out = {"dir": tmp_path / "d", "fifo": tmp_path / "f", "socket": tmp_path / "s",
           "dev-zero": tmp_path / "z", "loop": tmp_path / "l", "missing": tmp_path / "m"}  # fmt: skip
    out["dir"].mkdir()
    os.mkfifo(out["fifo"])
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.bind("s")
    finally:
        os.chdir(here)
    out["dev-zero"].symlink_to("/dev/zero")
    out["loop"].symlink_to(tmp_path / "l2")
    (tmp_path / "l2").symlink_to(out["loop"])
    return out


READERS = {
    "load_json": io.load_json,
    "load_json_or_lines": io.load_json_or_lines,
    "load_yaml": io.load_yaml,
    "read_text": io.read_text,
    "read_bytes": io.read_bytes,
    "first_text": io.first_text,
    "sha256_file": io.sha256_file,
    "require_regular": io.require_regular,
}


@pytest.mark.skipif(sys.platform != "linux", reason="FIFOs, sockets, /dev/zero")
@pytest.mark.parametrize("reader", READERS)
def test_every_reader_refuses_every_non_file_in_one_line_without_blocking(tmp_path, reader):
    kinds = _kinds(tmp_path)
    expected = {"dir": "directory", "fifo": "FIFO", "socket": "socket",
                "dev-zero": "character device", "loop": "symbolic links", "missing": "not found"}  # fmt: skip
    for kind, path in kinds.items():
        result: list[BaseException | None] = []

        def call(path=path, result=result):
            try:
                READERS[reader](path)
                result.append(None)
            except BaseException as exc:  # noqa: BLE001 (judged below)
                result.append(exc)

        t = threading.Thread(target=call, daemon=True)
        t.start()
        t.join(10)
        assert not t.is_alive(), f"{reader} blocked on a {kind}"
        (err,) = result
        assert isinstance(err, AnnotationError), f"{reader} on a {kind}: {err!r}"
        assert str(path) in str(err) and expected[kind] in str(err) and "\n" not in str(err)


def test_open_regular_reads_only(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("x")
    with io.open_regular(p, "r", encoding="utf-8") as f:
        assert f.read() == "x"
    with pytest.raises(ValueError, match="reads only"):
        with io.open_regular(p, "w"):
            pass


def test_size_limit_is_checked_before_reading(tmp_path):
    p = tmp_path / "big.json"
    p.write_text("[" + "0," * 1000 + "0]")
    with pytest.raises(AnnotationError, match="exceeds the limit 100"):
        io.load_json(p, limit=100)
    assert len(io.load_json(p)) == 1001


@pytest.mark.parametrize("digits", [309, 4301, 5000, 100_000])
def test_huge_integers_anywhere_are_one_line_with_the_line(digits):
    text = '{"a": 1,\n "ignored": [' + "9" * digits + "]}"
    with pytest.raises(AnnotationError, match=rf"integer of {digits} digits .*\(line 2\)"):
        io.loads_json(text, "f.json")
    neg = '{"a": -' + "9" * digits + "}"
    with pytest.raises(AnnotationError, match="integer of"):
        io.loads_json(neg, "f.json")


def test_out_of_range_floats_read_as_infinities_for_the_field_checks():
    """Like the Infinity literal: the field that uses a number refuses it; an ignored one not."""
    assert io.loads_json("[1e999, -1e999, 1E+400, 0.5]", "f") == [
        float("inf"), float("-inf"), float("inf"), 0.5]  # fmt: skip
    assert io.loads_json("[" + "1" * 5000 + ".5]", "f")[0] > 1e308  # long, finite: read


@pytest.mark.parametrize("depth", [10, 100, 999, 1000, 5000, 100_000])
@pytest.mark.parametrize("kind", ["array", "object", "mixed"])
def test_nesting_of_any_depth_is_read_or_refused_in_one_line(depth, kind):
    text = {"array": "[" * depth + "]" * depth,
            "object": '{"a":' * depth + "1" + "}" * depth,
            "mixed": '[{"a":' * (depth // 2) + "1" + "}]" * (depth // 2)}[kind]  # fmt: skip
    try:
        io.loads_json(text, "f.json")
    except AnnotationError as exc:
        assert "nested deeper" in str(exc) and depth >= 500
    else:
        assert depth < 1000
    try:
        io.loads_json_or_lines(text, "f.json")
    except AnnotationError as exc:
        assert "nested deeper" in str(exc)


def test_duplicate_keys_and_json_lines():
    with pytest.raises(AnnotationError, match="record 'k': duplicate key"):
        io.loads_json('{"k": 1, "k": 2}', "f")
    assert io.loads_json_or_lines('{"a": 1}\n\n{"b": 2}\n', "f") == [{"a": 1}, {"b": 2}]
    with pytest.raises(AnnotationError, match="record 'line 2'.*integer of 400"):
        io.loads_json_or_lines('{"a": 1}\n{"b": ' + "1" * 400 + "}\n", "f")


@pytest.mark.parametrize(
    "text, message",
    [
        ("num: " + "7" * 5000, "more than 308 digits"),
        ("a: " + "[" * 50_000 + "]" * 50_000, "nested deeper|not valid YAML"),
        ("a: [1, 2", "not valid YAML"),
        ("a: !!python/object:os.system x", "not valid YAML"),
    ],
)
def test_yaml_limits_are_one_line(tmp_path, text, message):
    p = tmp_path / "c.yaml"
    p.write_text(text)
    with pytest.raises(AnnotationError, match=message):
        io.load_yaml(p)


def _laughs(levels: int, width: int = 10) -> str:
    """A "billion laughs" document: ``width ** levels`` values from a few hundred bytes."""
    lines = ["l0: &a0 [" + ",".join(["lol"] * width) + "]"]
    lines += [f"l{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "text, message",
    [
        (_laughs(9), "aliases expand to more than 1,000,000 values"),
        (_laughs(7, 8) + "top: [" + ",".join(["*a6"] * 8) + "]\n", "more than 1,000,000"),
        ("a: &a [1, *a]\n", "refers to a value that contains it"),
        ("a: &a {k: [x, *a]}\n", "refers to a value that contains it"),
    ],
)
def test_yaml_alias_bombs_and_cycles_are_one_line(tmp_path, text, message):
    """Aliases load as shared references in milliseconds; whoever walked the result would expand
    them (10**9 values for the first case) or never finish (the cycles)."""
    p = tmp_path / "c.yaml"
    p.write_text(text)
    assert len(text) < 1000
    with pytest.raises(AnnotationError, match=message) as err:
        io.load_yaml(p)
    assert "\n" not in str(err.value) and "c.yaml" in str(err.value)


def test_yaml_ordinary_aliases_still_load(tmp_path):
    """Anchors, aliases and merge keys of real configs (shared blocks) are unchanged."""
    p = tmp_path / "c.yaml"
    p.write_text(
        "base: &b {lr: 0.1, tags: [x, y]}\nrun: {<<: *b, lr: 0.2}\nalso: *b\n"
        + _laughs(5)  # 100,000 values: under the bound
    )
    data = io.load_yaml(p)
    assert data["run"] == {"lr": 0.2, "tags": ["x", "y"]} and data["also"]["lr"] == 0.1
    assert len(data["l4"]) == 10 and data["l4"][0][0][0][0] == ["lol"] * 10


def test_yaml_size_limit(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("a: 1\n" * 300_000)
    with pytest.raises(AnnotationError, match="exceeds the limit"):
        io.load_yaml(p)


def test_a_huge_file_is_refused_before_it_is_read(tmp_path):
    """A sparse file one byte over the default limit: refused from its size, nothing read."""
    p = tmp_path / "huge.json"
    with open(p, "wb") as f:
        f.truncate(io.MAX_FILE_BYTES + 1)
    for reader in (io.load_json, io.read_text, io.read_bytes, io.load_json_or_lines):
        with pytest.raises(AnnotationError, match="exceeds the limit"):
            reader(p)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (
            "composition:\n  max_actions: 3\nnum: 10\ncomposition:\n  min_actions: 3\n",
            "composition",
        ),
        ("num: 10\nnum: 12\n", "num"),
        ("a:\n  b: 1\n  b: 2\n", "b"),
    ],
)
def test_a_key_written_twice_in_yaml_is_refused(text: str, key: str) -> None:
    """YAML keeps the last of two equal keys: a preset's first section was silently dropped."""
    from compmo_gen.core.readers import loads_yaml

    with pytest.raises(AnnotationError, match=f"field '{key}': repeated key"):
        loads_yaml(text, "p.yaml")


def test_yaml_merge_keys_may_still_be_overridden() -> None:
    from compmo_gen.core.readers import loads_yaml

    assert loads_yaml("a: &x {b: 1}\nc:\n  <<: *x\n  b: 2\n", "p.yaml")["c"] == {"b": 2}

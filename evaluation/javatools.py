"""Locate Java and pycocoevalcap's jars; version strings for result signatures."""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

from compmo_gen.core.errors import PrerequisiteError

#: The Java release the jar-backed paths are tested with (the README's "Java 17+"; the JVM's
#: ``Math.pow`` table of the native METEOR port was made with OpenJDK 17).
JAVA_MIN = 17
METEOR_JAR = "meteor-1.5.jar"
PTB_JAR = "stanford-corenlp-3.4.1.jar"


def java_executable() -> str:
    """The ``java`` on PATH, or a :class:`PrerequisiteError` saying how to get one."""
    java = shutil.which("java")
    if java is None:
        raise PrerequisiteError(
            "java not found on PATH: METEOR 1.5 and the PTB tokenizer are Java programs "
            f"(install Java {JAVA_MIN}+, e.g. `apt-get install default-jre-headless`)"
        )
    return java


@functools.cache
def java_version() -> str:
    """First line of ``java -version`` (e.g. ``openjdk version "17.0.15" 2025-04-15``)."""
    java = java_executable()
    try:
        out = subprocess.run(
            [java, "-version"], capture_output=True, text=True, errors="replace", check=False,
            timeout=60,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PrerequisiteError(f"{java} -version failed: {exc}") from None
    if out.returncode != 0:
        tail = " | ".join((out.stderr or out.stdout).strip().splitlines()[-3:])
        raise PrerequisiteError(f"{java} does not run (exit {out.returncode}): {tail}")
    lines = (out.stderr or out.stdout).strip().splitlines()
    return lines[0] if lines else "unknown"


def pycocoevalcap_dir() -> Path:
    """The installed pycocoevalcap package directory (it holds both jars)."""
    try:
        from pycocoevalcap.meteor import meteor
    except ImportError:
        raise PrerequisiteError(
            "pycocoevalcap is not installed: pip install 'compmo[eval]' (pycocoevalcap==1.2)"
        ) from None
    return Path(meteor.__file__).resolve().parent.parent


def jar_path(name: str) -> Path:
    sub = "meteor" if name == METEOR_JAR else "tokenizer"
    path = pycocoevalcap_dir() / sub / name
    if not path.is_file():
        raise PrerequisiteError(f"{path} is missing: reinstall pycocoevalcap==1.2")
    return path


def pycocoevalcap_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pycocoevalcap")
    except PackageNotFoundError:
        return "unknown"

"""Every repository path the user's guide names exists: README.md, docs/*.md and results/INDEX.md.

Checked: relative Markdown links (the target file, and a ``#fragment`` against the target's
headings as GitHub turns them into anchors), and every path-like token that starts at a top-level
folder of the repository (``scripts/x.py``, ``results/y.md``, ``evaluation/java/``), wherever it
appears (prose, tables, commands). A ``*`` is a glob that must match something; tokens holding a
placeholder (``<id>``) are skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TOP = ("compmo_gen", "evaluation", "modeling", "scripts", "results", "docs", "tests", "datasets")
_PATH = re.compile(
    r"(?<![\w./~$-])((?:" + "|".join(TOP) + r"|\.ci)/[A-Za-z0-9_./*-]*)"
)  # fmt: skip
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _pages() -> list[Path]:
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    index = REPO / "results" / "INDEX.md"
    return pages + ([index] if index.is_file() else [])


def _anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation other than ``-`` and ``_`` dropped,
    spaces to ``-``; fenced code is not searched for headings."""
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    out = set()
    for title in re.findall(r"^#{1,6} +(.+?) *$", text, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")
        out.add(slug)
    return out


def _exists(token: str) -> bool:
    token = token.rstrip(".,;:")
    if "*" in token:
        return any(REPO.glob(token))
    return (REPO / token).exists()


@pytest.mark.parametrize("page", _pages(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_named_path_exists(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    missing = sorted(
        {t for t in _PATH.findall(text) if "<" not in t and not _exists(t)}
    )  # fmt: skip
    assert not missing, f"{page.name} names paths that do not exist: {missing}"


@pytest.mark.parametrize("page", _pages(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_resolves(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    broken = []
    for target in _LINK.findall(text):
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        path, _, fragment = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            broken.append(target)
        elif fragment and dest.suffix == ".md" and fragment not in _anchors(dest):
            broken.append(target)
    assert not broken, f"{page.name} has broken links: {broken}"


def test_readme_is_a_guide_not_a_manual() -> None:
    """The README stays short; the details live in docs/ (issue: a newcomer must find the
    Quick start, the walkthrough and the command table without scrolling through internals)."""
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 350, len(lines)
    for page in ("building", "formats", "training", "evaluation", "evaluation-engine"):
        assert (REPO / "docs" / f"{page}.md").is_file(), page


def test_every_result_file_is_referenced() -> None:
    """Each file at the top of results/ is named by the README, a docs page or results/INDEX.md,
    and each raw/<benchmark>/ folder by a page of results/ or the index."""
    guide = "\n".join(p.read_text(encoding="utf-8") for p in _pages())
    index = (REPO / "results" / "INDEX.md").read_text(encoding="utf-8")
    results = REPO / "results"
    unnamed = [
        p.name
        for p in sorted(results.iterdir())
        if p.is_file() and p.name != "INDEX.md"
        and f"results/{p.name}" not in guide and f"`{p.name}`" not in index
        and not (p.suffix == ".json" and f"`{p.stem}.md`, `.json`" in index)
    ]  # fmt: skip
    pages = guide + "".join(p.read_text(encoding="utf-8") for p in results.glob("*.md"))
    unnamed += [
        f"raw/{d.name}/"
        for d in sorted((results / "raw").iterdir())
        if f"raw/{d.name}/" not in pages
    ]
    assert not unnamed, f"results nobody points to: {unnamed}"

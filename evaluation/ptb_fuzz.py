"""Differential fuzzing of the native PTB tokenizer: lines generated from every lexer rule.

Each rule of :data:`evaluation.ptb_rules.RULES` (its token pattern, then its trailing context) is
sampled by walking the parsed regular expression with a seeded generator (:func:`sample`); each
sample is placed among neighbours (spaces, letters, digits, punctuation, another rule's sample)
and, now and then, before a next line that opens a sentence or not. ``scripts/ptb_rule_fuzz.py``
runs all of them through the jar and the native tokenizer and compares every line; the CI test
(``tests/evaluation/test_ptb_rule_fuzz.py``) runs a fixed sample and the regression cases.
"""

from __future__ import annotations

import random
import re

try:  # the regular-expression parser: re._parser from Python 3.11, sre_parse before
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse  # type: ignore[no-redef]

#: Characters a generated line may hold: printable ASCII and the tab (no line breaks).
ALPHABET = "".join(chr(c) for c in range(32, 127)) + "\t"
_NEIGHBOURS = ("", " ", "  ", "a", "A", "x", "1", "0", ".", ",", ";", ":", "!", "?", "(", ")",
               "'", '"', "`", "-", "_", "/", "\\", "&", "$", "#", "@", "^", "~", "=", "<", ">",
               "*", "+", "%", "|", "[", "]", "{", "}", "\t")  # fmt: skip
_NEXT = ("", "The man walks.", "then he sits", "A", "x", "1", "<b>", ". .", "  ")


def _category(cat: object) -> str:
    name = str(cat)
    chars = {
        "CATEGORY_DIGIT": "0123456789",
        "CATEGORY_SPACE": " \t",
        "CATEGORY_WORD": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
    }
    for key, value in chars.items():
        if name.endswith(key):
            return value
        if name.endswith("NOT_" + key[len("CATEGORY_") :]):
            return "".join(c for c in ALPHABET if c not in value)
    return ALPHABET


def _class(items: list) -> str:
    """The characters of ALPHABET a parsed character class matches."""
    negate = False
    chars: set[str] = set()
    for op, arg in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            chars.add(chr(arg))
        elif name == "RANGE":
            chars.update(chr(c) for c in range(arg[0], arg[1] + 1))
        elif name == "CATEGORY":
            chars.update(_category(arg))
    if negate:
        return "".join(c for c in ALPHABET if c not in chars)
    return "".join(sorted(c for c in chars if c in ALPHABET))


def _walk(parsed: list, rng: random.Random, out: list[str], groups: dict[int, str]) -> bool:
    """Append one string matching ``parsed`` to ``out``; False when none can be made here."""
    for op, arg in parsed:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append(rng.choice([c for c in ALPHABET if ord(c) != arg]))
        elif name == "ANY":
            out.append(rng.choice(ALPHABET))
        elif name == "IN":
            chars = _class(arg)
            if not chars:
                return False
            out.append(rng.choice(chars))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            lo, hi, sub = arg
            top = min(hi, lo + rng.choice((0, 1, 1, 2, 3, 5)))
            for _ in range(rng.randint(lo, max(lo, top))):
                if not _walk(list(sub), rng, out, groups):
                    return False
        elif name == "SUBPATTERN":
            group, _, _, sub = arg
            start = len(out)
            if not _walk(list(sub), rng, out, groups):
                return False
            if group is not None:
                groups[group] = "".join(out[start:])
        elif name == "BRANCH":
            _, branches = arg
            if not _walk(list(rng.choice(branches)), rng, out, groups):
                return False
        elif name == "GROUPREF":
            out.append(groups.get(arg, ""))
        elif name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue
        elif name == "CATEGORY":
            out.append(rng.choice(_category(arg)))
        else:  # pragma: no cover - a construct the rules do not use
            raise ValueError(f"cannot sample regex construct {name}")
    return True


_PARSED: dict[str, list] = {}


def sample(pattern: str, rng: random.Random) -> str | None:
    """A random string of printable ASCII that ``pattern`` matches whole, or None."""
    parsed = _PARSED.get(pattern)
    if parsed is None:
        parsed = _PARSED[pattern] = list(sre_parse.parse(pattern))
    compiled = re.compile(pattern)
    for _ in range(20):
        out: list[str] = []
        if _walk(parsed, rng, out, {}) and compiled.fullmatch("".join(out)):
            return "".join(out)
    return None


def rule_lines(index: int, rng: random.Random, n: int) -> list[str]:
    """``n`` lines built around samples of rule ``index`` (token, then its trailing context)."""
    from evaluation.ptb_rules import RULES

    token, trail, _ = RULES[index]
    lines = []
    for _ in range(n * 3):
        if len(lines) == n:
            break
        tok = sample(token, rng)
        if tok is None or "\n" in tok or "\r" in tok:
            continue
        if trail is not None and rng.random() < 0.7:
            ctx = sample(trail, rng)
            if ctx is not None and "\n" not in ctx and "\r" not in ctx:
                tok += ctx
        shape = rng.random()
        if shape < 0.25:
            line = tok
        elif shape < 0.6:
            line = rng.choice(_NEIGHBOURS) + tok + rng.choice(_NEIGHBOURS)
        elif shape < 0.8:  # a chain of samples of random rules, glued or spaced
            parts = [tok] + [sample(RULES[rng.randrange(len(RULES))][0], rng) or "" for _ in
                             range(rng.randint(1, 3))]  # fmt: skip
            rng.shuffle(parts)
            line = "".join(p + rng.choice(("", "", " ", "  ", ".", ",")) for p in parts)
        else:
            other = RULES[rng.randrange(len(RULES))][0]
            extra = sample(other, rng) or ""
            if "\n" in extra or "\r" in extra:
                extra = ""
            pair = [tok, extra]
            rng.shuffle(pair)
            line = rng.choice(("", "a ", "The ")) + rng.choice(("", " ")).join(pair)
        lines.append(re.sub("[\r\n\x0b\x0c]", " ", line))
    return lines


def fuzz_document(seed: int, per_rule: int) -> list[str]:
    """Lines for every rule (``per_rule`` each, seeded per rule), each followed now and then by a
    line that does or does not open a sentence (the lexer's trailing contexts see it)."""
    from evaluation.ptb_rules import RULES

    doc: list[str] = []
    for k in range(len(RULES)):
        rng = random.Random(f"{seed}:{k}")
        for line in rule_lines(k, rng, per_rule):
            doc.append(line)
            if rng.random() < 0.2:
                doc.append(rng.choice(_NEXT))
    return doc


def jar_lines(lines: list[str]) -> list[str]:
    """The PTB jar's lower-cased tokens of each line of the document ``"\\n".join(lines)``
    (``PTBTokenizer -preserveLines -lowerCase``, one JVM for all of them)."""
    import os
    import subprocess
    import tempfile

    from evaluation.javatools import PTB_JAR, jar_path

    fd, name = tempfile.mkstemp(suffix=".txt")
    with os.fdopen(fd, "wb") as f:
        f.write("\n".join(lines).encode())
    try:
        cmd = ["java", "-cp", str(jar_path(PTB_JAR)), "edu.stanford.nlp.process.PTBTokenizer"]
        out = subprocess.run(
            [*cmd, "-preserveLines", "-lowerCase", name], capture_output=True, check=True
        )
    finally:
        os.unlink(name)
    return out.stdout.decode().split("\n")[: len(lines)]


def native_lines(lines: list[str]) -> list[str]:
    """The native tokenizer's view of the same document (as :func:`jar_lines`)."""
    from evaluation.ptb import tokenize_lines

    return [" ".join(t.lower() for t in toks) for toks in tokenize_lines(lines)]


def differences(lines: list[str]) -> list[tuple[int, str, str, str]]:
    """``(line number, line, jar, native)`` of every line the two tokenize differently."""
    jar, native = jar_lines(lines), native_lines(lines)
    return [(k, lines[k], jar[k], native[k]) for k in range(len(lines)) if jar[k] != native[k]]

"""METEOR 1.5's ``-norm`` for English (punctuation kept), its whitespace splitting and key hash.

Written from the behaviour of meteor-1.5.jar (``-l en -norm``): separate symbols, mark and
restore runs of dots, split commas not between digits, unify quotes and dashes, split hyphens
between alphanumerics, split English contractions, split sentence-final periods unless the word
is a non-breaking prefix (the jar's ``nonbreaking/english.prefixes``), then lowercase. Character
classes follow the jar: digits and lower case are ASCII only, whitespace is Java's ``\\s``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Letters the jar treats as alphabetic (Latin-1/Latin Extended-A parts, Cyrillic, phonetic).
_ALPHA = (
    "A-Za-z\u0160\u017d\u0161\u017e\u0178\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u017e"
    "\u0400-\u04ff\u0500-\u0527\ua640-\ua66e\ua67e-\ua697\u1d00-\u1d7f"
)
_ALNUM = "0-9" + _ALPHA
_JAVA_SPACE = " \t\n\x0b\x0c\r"
#: java.util.StringTokenizer's default delimiters.
_TOKEN_DELIMS = re.compile("[ \t\n\r\x0c]+")

_SEP_OTHER = re.compile(f"([^{_ALNUM}{_JAVA_SPACE}.'`,\\-\u2018\u2019])")
_MULTI_DOT = re.compile(r"\.(\.+)")
_MULTI_DOT2 = re.compile(r"DOTMULTI\.([^.])")
_COMMA = re.compile(r"([^0-9]),([^0-9])")
_COMMA2 = re.compile(r"([0-9]),([^0-9])")
_COMMA3 = re.compile(r"([^0-9]),([0-9])")
_QUOTE = re.compile("[`\u2018\u2019]")
_QUOTE2 = re.compile("[\u201c\u201d]|''")
_RM_DASH = re.compile(f"([{_ALNUM}.])-([{_ALNUM}])")
_CONT1 = re.compile(f"([^{_ALPHA}])'([^{_ALPHA}])")
_CONT2 = re.compile(f"([^{_ALPHA}0-9])'([{_ALPHA}])")
_CONT3 = re.compile(f"([{_ALPHA}])'([^{_ALPHA}])")
_CONT4 = re.compile(f"([{_ALPHA}])'([{_ALPHA}])")
_CONT5 = re.compile(r"([0-9])'(s)")
_WHITE = re.compile("[ \u2000-\u200a\u202f\u205f\u3000\u00a0]+")
_HAS_ALPHA = re.compile(f"[{_ALPHA}]")
_LOWER_START = re.compile("^[a-z]")
_DIGIT_START = re.compile("^[0-9]+")

#: Non-breaking prefix kinds (the jar's prefix file: a plain entry, or ``#NUMERIC_ONLY#``).
NBP_ANY = 1
NBP_NUMERIC = 2


def parse_prefixes(text: str) -> dict[str, int]:
    """The non-breaking prefix table of a ``nonbreaking/<language>.prefixes`` file."""
    table: dict[str, int] = {}
    for line in text.splitlines():
        fields = split_tokens(line)
        if not fields or fields[0].startswith("#"):
            continue
        kind = NBP_NUMERIC if len(fields) > 1 and fields[1] == "#NUMERIC_ONLY#" else NBP_ANY
        table[fields[0]] = kind
    return table


def split_tokens(line: str) -> list[str]:
    """Whitespace tokens as java.util.StringTokenizer finds them (space, tab, CR, LF, FF)."""
    return [t for t in _TOKEN_DELIMS.split(line) if t]


def _final_periods(words: list[str], prefixes: Mapping[str, int]) -> str:
    out = []
    last = len(words) - 1
    for i, word in enumerate(words):
        if len(word) > 1 and word.endswith("."):
            pre = word[:-1]
            kind = prefixes.get(pre)
            if "." in pre and _HAS_ALPHA.search(pre):
                out.append(word.replace(".", ""))
            elif kind == NBP_ANY or (i < last and _LOWER_START.search(words[i + 1])):
                out.append(word)
            elif kind == NBP_NUMERIC and i < last and _DIGIT_START.search(words[i + 1]):
                out.append(word)
            else:
                out.append(pre + " .")
        else:
            out.append(word)
        out.append(" ")
    return "".join(out)


_PLAIN = re.compile("[A-Za-z0-9 ]*")


def normalize_line(line: str, prefixes: Mapping[str, int]) -> str:
    """``-l en -norm`` of one sentence (before lower-casing)."""
    if (
        _PLAIN.fullmatch(line) and "DOTMULTI" not in line
    ):  # letters, digits, spaces: no rule applies
        return " ".join(line.split())
    s = f" {line} "
    s = _SEP_OTHER.sub(r" \1 ", s)
    s = _MULTI_DOT.sub(r" DOTMULTI\1", s)
    while "DOTMULTI." in s:
        s = _MULTI_DOT2.sub(r"DOTDOTMULTI \1", s)
        s = s.replace("DOTMULTI.", "DOTDOTMULTI")
    s = _COMMA.sub(r"\1 , \2", s)
    s = _COMMA2.sub(r"\1 , \2", s)
    s = _COMMA3.sub(r"\1 , \2", s)
    s = _QUOTE.sub("'", s)
    s = _QUOTE2.sub(' " ', s)
    s = s.replace("\u2013", "-").replace("--", "-")
    s = _RM_DASH.sub(r"\1 \2", s)
    s = _CONT1.sub(r"\1 ' \2", s)
    s = _CONT2.sub(r"\1 ' \2", s)
    s = _CONT3.sub(r"\1 ' \2", s)
    s = _CONT4.sub(r"\1 '\2", s)
    s = _CONT5.sub(r"\1 '\2", s)
    s = _final_periods(split_tokens(s), prefixes)
    while "DOTDOTMULTI" in s:
        s = s.replace("DOTDOTMULTI", "DOTMULTI.")
    s = s.replace("DOTMULTI", ".")
    return _WHITE.sub(" ", s).strip(JAVA_TRIM)


#: String.trim() removes every char <= U+0020.
JAVA_TRIM = "".join(chr(c) for c in range(33))


def java_lower(text: str) -> str:
    """String.toLowerCase() for the text METEOR sees (exact for ASCII and most of Unicode)."""
    return text.lower() if text.isascii() else "".join(_lower_char(c) for c in text)


def _lower_char(c: str) -> str:
    low = c.lower()
    return low if len(low) == 1 else c


def java_hash(word: str) -> int:
    """java.lang.String.hashCode (over UTF-16 code units, 32-bit wrap-around)."""
    h = 0
    if word.isascii():
        for c in word.encode():
            h = (31 * h + c) & 0xFFFFFFFF
        return h
    units = word.encode("utf-16-be")
    for k in range(0, len(units), 2):
        h = (31 * h + (units[k] << 8 | units[k + 1])) & 0xFFFFFFFF
    return h

"""STMC timelines: ``text # start # end # part ...`` lines, a blank line between timelines; compmo
adds ``## id=<id> duration=<seconds>`` header lines so ids and durations survive."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from compmo_gen.core.errors import AnnotationError
from compmo_gen.core.segments import DenseAnnotation, Segment, as_time


def read_stmc(text: str, file: str) -> list[DenseAnnotation]:
    out: list[DenseAnnotation] = []
    segs: list[Segment] = []
    header: dict[str, str] = {}

    def flush() -> None:
        if segs or header:
            vid = header.get("id", str(len(out)))
            dur = header.get("duration")
            duration = None if dur is None else as_time(_float_or_str(dur), file, vid, "duration")
            out.append(DenseAnnotation(vid, duration, tuple(segs)))
        segs.clear()
        header.clear()

    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("##"):
            for item in line[2:].split():
                k, _, v = item.partition("=")
                header[k] = v
            continue
        fields = [x.strip() for x in line.split("#")]
        rec = header.get("id", str(len(out)))
        if len(fields) < 3:
            raise AnnotationError(
                file, rec, f"line {lineno}", "expected 'text # start # end [# part ...]'"
            )
        start = as_time(_float_or_str(fields[1]), file, rec, f"line {lineno} start")
        end = as_time(_float_or_str(fields[2]), file, rec, f"line {lineno} end")
        segs.append(Segment(start, end, fields[0], tuple(p for p in fields[3:] if p)))
    flush()
    return out


def _float_or_str(s: str) -> float | str:
    try:
        return float(s)
    except ValueError:
        return s


def _stmc_block(a: DenseAnnotation, header: bool) -> str:
    lines = []
    if header:
        lines.append(f"## id={a.id}" + ("" if a.duration is None else f" duration={a.duration!r}"))
    for s in a.segments:
        if "#" in s.caption or "\n" in s.caption or s.caption != s.caption.strip() or not s.caption:
            raise ValueError(f"{a.id}: caption {s.caption!r} cannot be written as an STMC line")
        lines.append(" # ".join([s.caption, repr(float(s.start)), repr(float(s.end)), *s.parts]))
    return "\n".join(lines)


def to_stmc_text(annotations: Iterable[DenseAnnotation], *, header: bool = True) -> str:
    """STMC timelines: ``text # start # end # part ...`` lines, a blank line between timelines.

    With ``header`` each timeline starts with ``## id=<id> duration=<seconds>`` so ids survive.
    """
    return "".join(stmc_chunks(annotations, header))


def stmc_chunks(annotations: Iterable[DenseAnnotation], header: bool) -> Iterator[str]:
    for k, a in enumerate(annotations):
        yield ("\n\n" if k else "") + _stmc_block(a, header)
    yield "\n"

"""The lumbar spine vertebrae a result was measured over — docs/clinical-rules.md §2.2."""

from __future__ import annotations

import re

# docs/clinical-rules.md §2 (ISCD): at least two vertebrae must remain; a single vertebra is never
# used.
MIN_VERTEBRAE = 2
_VERTEBRA_TOKEN = re.compile(r"L([1-4])(?:-L?([1-4]))?")


def parse_vertebrae(text: str) -> tuple[int, ...]:
    """The lumbar vertebrae in "L1-L4", "L1–L4", "L2-4" or "L1,L2,L4", as sorted numbers."""
    cleaned = re.sub(r"[\u2010-\u2015\u2212]", "-", text.strip().upper())
    cleaned = re.sub(r"\s*-\s*", "-", cleaned)
    tokens = [token for token in re.split(r"[,;/\s]+", cleaned) if token]
    if not tokens:
        raise ValueError("no vertebrae given")
    numbers: set[int] = set()
    for token in tokens:
        match = _VERTEBRA_TOKEN.fullmatch(token)
        if match is None:
            raise ValueError(f"{token} is not a lumbar vertebra from L1 to L4")
        first = int(match[1])
        last = int(match[2] or first)
        if last < first:
            raise ValueError(f"the range {token} runs backwards")
        numbers.update(range(first, last + 1))
    return tuple(sorted(numbers))


def vertebrae_label(vertebrae: str) -> str:
    """The vertebrae for display: "L1–L4", "L1, L2, L4"; blank means the usual L1–L4."""
    if not vertebrae.strip():
        return "L1–L4"
    try:
        numbers = parse_vertebrae(vertebrae)
    except ValueError:
        return vertebrae.strip()
    contiguous = numbers == tuple(range(numbers[0], numbers[-1] + 1))
    if len(numbers) > 1 and contiguous:
        return f"L{numbers[0]}–L{numbers[-1]}"
    return ", ".join(f"L{n}" for n in numbers)


def spine_vertebrae_warning(vertebrae: str) -> str | None:
    """A warning when the spine result rests on fewer than two vertebrae or cannot be read."""
    # Blank means "not recorded": the scanner's standard L1–L4 is assumed, no warning.
    if not vertebrae.strip():
        return None
    try:
        numbers = parse_vertebrae(vertebrae)
    except ValueError as error:
        return (
            f'The vertebrae "{vertebrae.strip()}" could not be read ({error}): '
            'write them like "L1-L4" or "L1,L2,L4".'
        )
    if len(numbers) < MIN_VERTEBRAE:
        return (
            f"Only one vertebra (L{numbers[0]}) was used: "
            "a single vertebra is never used for diagnosis."
        )
    return None


def single_vertebra(vertebrae: str) -> bool:
    try:
        return bool(vertebrae.strip()) and len(parse_vertebrae(vertebrae)) < MIN_VERTEBRAE
    except ValueError:
        return False

"""The unified social credit code (统一社会信用代码, GB 32100-2015) of a committee registered as a
legal entity: 18 characters from a 31-character alphabet, the last a check character. Pure Python."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def normalise(code: str) -> str:
    return "".join(code.split()).upper()


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(ch) * weight for ch, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def problem(code: str) -> str | None:
    """None for a valid code; else which rule it breaks ("length", "characters", "check")."""
    code = normalise(code)
    if len(code) != 18:
        return "length"
    if any(ch not in ALPHABET for ch in code):
        return "characters"
    if check_character(code[:17]) != code[17]:
        return "check"
    return None

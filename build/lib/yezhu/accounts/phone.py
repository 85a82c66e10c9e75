"""Mainland mobile numbers (手机号): one normal form for storage, lookups and masking."""

import re

_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_NOISE = re.compile(r"[\s\-()（）]")


class InvalidMobile(ValueError):
    pass


def normalize_mobile(raw: str) -> str:
    """Return the 11-digit form of a mainland mobile number, or raise InvalidMobile.

    Accepts the spellings owners and spreadsheets produce: spaces, dashes, a leading
    +86 / 0086 / 86, and full-width digits (Excel on Chinese Windows).
    """
    if raw is None:
        raise InvalidMobile("empty")
    value = str(raw).strip()
    value = value.translate({ord(c): ord("0") + i for i, c in enumerate("０１２３４５６７８９")})
    value = _NOISE.sub("", value)
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    elif value.startswith("86") and len(value) == 13:
        value = value[2:]
    if not _MOBILE.match(value):
        raise InvalidMobile(raw)
    return value


def is_mobile(raw: str) -> bool:
    try:
        normalize_mobile(raw)
    except InvalidMobile:
        return False
    return True


def mask_mobile(mobile: str) -> str:
    """138****5678: enough for an owner to recognise their own number, not enough to call it."""
    if not mobile or len(mobile) < 7:
        return "****"
    return f"{mobile[:3]}****{mobile[-4:]}"

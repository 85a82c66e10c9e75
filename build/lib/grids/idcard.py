"""Identity numbers (证件号码) of owners: validation, normal form, and the salted hash that is stored.

A mainland resident identity number (居民身份证号码, GB 11643-1999) has 18 characters: a six-digit
address code (地址码), the birth date YYYYMMDD (出生日期码), a three-digit sequence (顺序码) and a
check character (校验码) computed over the first 17 digits with the weights 7 9 10 5 8 4 2 1 6 3 7 9
10 5 8 4 2; the weighted sum mod 11 indexes "10X98765432" (ISO 7064 MOD 11-2).

What is accepted, and why:

- Spellings are normalised first: surrounding whitespace (full-width and zero-width included) is
  removed, full-width characters (０-９, Ｘ, （）) become ASCII, letters become upper case. Inner
  spaces are not removed: "1101 0519…" is refused rather than guessed at.
- A value of 15 to 20 characters with at most two non-digits is taken for a mainland number (or a
  mistyped one) and validated strictly: 18 characters, 17 digits and a digit or X, a known
  province code (11-15, 21-23, 31-37, 41-46, 50-54, 61-65, 71, 81-83; the 81/82/83 codes are the
  residence permits of Hong Kong, Macau and Taiwan residents, which follow the same standard), a
  real birth date from 1900-01-01 to today (China time), and the check character. The 2023
  foreign permanent resident ID card (外国人永久居留身份证) also follows GB 11643 with a leading
  "9" and a province code in the next two digits; it is accepted the same way. This is what
  catches a mainland number with a digit missing or an O typed for a 0: it is refused instead of
  slipping through as "another document". First-generation 15-digit cards stopped being valid
  on 2013-01-01 and are refused.
- A unified social credit code (统一社会信用代码, GB 32100-2015) identifies a company or other
  organisation that owns units (shops, offices, a developer's subsidiary): 18 characters from
  "0123456789ABCDEFGHJKLMNPQRTUWXY", a registration-authority code (1, 5, 9, Y and the others of
  the standard), a six-digit region code in places 3-8, and a check character (weights 3^i mod 31,
  ISO 7064 MOD 31-3 as the standard gives them). It is accepted with kind "uscc" when its check
  character is right. A valid mainland number always wins. A value that fails as a mainland
  number is taken for a credit code only if it starts with 9 or a letter, or has a letter before
  its last place, and the credit code's check holds: a mistyped citizen number (all digits,
  starting with its province's digit) is still refused. The price: the rare all-digit codes of
  government bodies and social organisations (starting with 1 or 5) are refused; enter them as
  another document. An 18-character value of the credit code's alphabet with a wrong check
  character is refused, not taken for another document.
- Anything else of 6 to 20 letters and digits, with at least one digit, is another identity
  document (Hong Kong/Macau identity card, Taiwan ID, 回乡证, 台胞证, passport) and is accepted
  with kind "other". Those formats cannot be checked for a check digit here, so they are only
  checked for shape. Parentheses are dropped so that "A123456(7)" and "A1234567" are the same
  person.

The number itself is never stored: only `hash_id_number` (HMAC-SHA256 with a secret) and
`id_last4`, so that staff can compare the last four characters with a document in hand.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import operator
import re
from dataclasses import dataclass

__all__ = [
    "MAINLAND",
    "OTHER",
    "USCC",
    "IdNumber",
    "InvalidIdNumber",
    "check_digit",
    "hash_id_number",
    "id_last4",
    "is_valid_id_number",
    "normalize_id_number",
    "parse_id_number",
    "uscc_check_character",
]

MAINLAND = "mainland"  # 居民身份证 (and the residence permits that follow GB 11643)
USCC = "uscc"  # 统一社会信用代码 of a company or organisation (GB 32100-2015)
OTHER = "other"  # 其他证件: 港澳台证件、护照

# Reasons an identity number is refused: `InvalidIdNumber.code`.
EMPTY = "empty"
FORMAT = "format"  # characters that no accepted document uses
LENGTH = "length"  # looks like a mainland number but is not 18 characters long
REGION = "region"  # unknown province code
BIRTH_DATE = "birth_date"  # not a real date, before 1900 or in the future
CHECK_DIGIT = "check_digit"

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
# 省级行政区划代码 (GB/T 2260); 71 Taiwan, 81/82/83 the residence permits of HK, Macau, Taiwan residents.
PROVINCE_CODES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34"}
    | {"35", "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52"}
    | {"53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "83"}
)
EARLIEST_BIRTH = datetime.date(1900, 1, 1)
CHINA_TIME = datetime.timezone(datetime.timedelta(hours=8))  # no daylight saving since 1991

# Spreadsheet text: U+FF01..U+FF5E are the full-width forms of "!".."~", U+3000 the ideographic
# space; whitespace is every Unicode space plus the zero-width ones that Excel and WeChat paste in.
FULL_WIDTH_TO_ASCII = {0xFF01 + i: 0x21 + i for i in range(94)} | {0x3000: 0x20}
STRIP_CHARACTERS = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\u200b\u200c\u200d\u2060\ufeff"
_MAINLAND = re.compile(r"[0-9]{17}[0-9X]")
USCC_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")
_OTHER = re.compile(r"[A-Z0-9]{6,20}")
_DIGIT = re.compile(r"[0-9]")
_NOT_DIGIT = re.compile(r"[^0-9]")
_NOT_MAINLAND_CHARACTER = re.compile(r"[^0-9X]")


class InvalidIdNumber(ValueError):
    """An identity number that is refused; `code` says why (EMPTY, FORMAT, LENGTH, …)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class IdNumber:
    number: str  # the normal form: what is hashed and compared
    kind: str  # MAINLAND or OTHER


def check_digit(first17: str) -> str:
    """The GB 11643 check character of 17 digits (used to build valid numbers, e.g. in factories)."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("17 ASCII digits expected")
    total = sum(map(operator.mul, map(int, first17), WEIGHTS))
    return CHECK_CHARACTERS[total % 11]


def uscc_check_character(first17: str) -> str:
    """The GB 32100 check character of the first 17 characters of a unified social credit code."""
    total = sum(USCC_CHARACTERS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARACTERS[(31 - total % 31) % 31]


def _is_uscc(value: str) -> bool:
    return bool(_USCC.fullmatch(value)) and uscc_check_character(value[:17]) == value[17]


def _may_be_uscc(value: str) -> bool:
    """Whether a value that failed as a citizen number may be a credit code instead: it starts with
    9 or a letter (registered companies start with 9), or has a letter before its last place. A
    citizen number starts with its province's first digit (1-6) and has only digits there, so a
    mistyped one is still refused rather than taken for a company."""
    return value[0] not in "12345678" or any(c.isalpha() for c in value[:17])


def _clean(raw: object) -> str:
    if raw is None:
        return ""
    return str(raw).translate(FULL_WIDTH_TO_ASCII).strip(STRIP_CHARACTERS).upper()


def _looks_mainland(value: str) -> bool:
    return 15 <= len(value) <= 20 and len(_NOT_DIGIT.findall(value)) <= 2


def _check_mainland(value: str, today: datetime.date) -> None:
    if _NOT_MAINLAND_CHARACTER.search(value):
        raise InvalidIdNumber(FORMAT)
    if len(value) != 18:
        raise InvalidIdNumber(LENGTH)
    if not _MAINLAND.fullmatch(value):  # an X before the last place
        raise InvalidIdNumber(FORMAT)
    province = value[1:3] if value[0] == "9" else value[0:2]
    if province not in PROVINCE_CODES:
        raise InvalidIdNumber(REGION)
    try:
        born = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidIdNumber(BIRTH_DATE) from None
    if born < EARLIEST_BIRTH or born > today:
        raise InvalidIdNumber(BIRTH_DATE)
    if check_digit(value[:17]) != value[17]:
        raise InvalidIdNumber(CHECK_DIGIT)


def parse_id_number(raw: object, *, today: datetime.date | None = None) -> IdNumber:
    """Return the normal form and kind of an identity number, or raise InvalidIdNumber.

    `today` (a date in China) bounds the birth date; it defaults to the current date in UTC+8.
    """
    value = _clean(raw)
    if not value:
        raise InvalidIdNumber(EMPTY)
    if not value.isascii():
        raise InvalidIdNumber(FORMAT)
    if _MAINLAND.fullmatch(value) or _looks_mainland(value):
        try:
            _check_mainland(value, today or datetime.datetime.now(CHINA_TIME).date())
        except InvalidIdNumber:
            if _may_be_uscc(value) and _is_uscc(value):
                return IdNumber(value, USCC)
            raise
        return IdNumber(value, MAINLAND)
    if _USCC.fullmatch(value):  # 18 characters of a credit code's alphabet: its check must hold
        if not _is_uscc(value):
            raise InvalidIdNumber(CHECK_DIGIT)
        return IdNumber(value, USCC)
    other = value.replace("(", "").replace(")", "")
    if _OTHER.fullmatch(other) and _DIGIT.search(other):
        return IdNumber(other, OTHER)
    raise InvalidIdNumber(FORMAT)


def normalize_id_number(raw: object, *, today: datetime.date | None = None) -> str:
    """The normal form of an identity number (what is hashed), or raise InvalidIdNumber."""
    return parse_id_number(raw, today=today).number


def is_valid_id_number(raw: object, *, today: datetime.date | None = None) -> bool:
    """True for a valid mainland number and for an acceptable other document (see the module)."""
    try:
        parse_id_number(raw, today=today)
    except InvalidIdNumber:
        return False
    return True


def id_last4(number: str) -> str:
    """The last four characters of the normal form (what staff compare with a document)."""
    return normalize_id_number(number)[-4:]


def hash_id_number(number: str, salt: str) -> str:
    """HMAC-SHA256 (hex, 64 characters) of the normal form, keyed with a secret.

    The key must be secret: mainland numbers have so little entropy (region, birth date, three
    digits) that an unkeyed or known-key hash can be reversed by trying them all. Spellings of the
    same number ("…002x", "…002X", full-width) give the same hash.
    """
    if not salt:
        raise ValueError("hash_id_number needs a non-empty secret salt")
    message = normalize_id_number(number).encode("ascii")
    return hmac.new(salt.encode("utf-8"), message, hashlib.sha256).hexdigest()

import datetime
import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grids import idcard
from grids.idcard import (
    InvalidIdNumber,
    check_digit,
    hash_id_number,
    id_last4,
    is_valid_id_number,
    normalize_id_number,
    parse_id_number,
)

# GB 11643-1999, computed here independently of the module under test.
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
TODAY = datetime.date(2026, 11, 22)


def make_id(region: str = "110105", birth: str = "19491231", seq: str = "002") -> str:
    body = region + birth + seq
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


def refusal(raw, **kwargs) -> str:
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number(raw, **kwargs)
    return caught.value.code


def test_it_builds_the_example_number_of_the_standard():
    """The test's own generator reproduces the worked example of GB 11643-1999."""
    assert make_id("110105", "19491231", "002") == "11010519491231002X"


@pytest.mark.parametrize(
    ("region", "birth", "seq"),
    [
        ("110105", "19491231", "002"),  # check character X
        ("110101", "19900307", "123"),
        ("310115", "20000229", "001"),  # leap day
        ("440305", "19000101", "999"),  # earliest accepted birth date
        ("650102", "19851111", "456"),
        ("810000", "19970701", "012"),  # Hong Kong residents' residence permit
        ("830000", "19800101", "034"),  # Taiwan residents' residence permit
        ("911840", "19800101", "034"),  # 2023 foreign permanent resident ID card: 9 + province + nationality
    ],
)
def test_it_accepts_numbers_built_with_the_standards_weights(region, birth, seq):
    """A number whose check character follows the GB 11643 weights is a valid mainland number."""
    number = make_id(region, birth, seq)
    assert parse_id_number(number, today=TODAY) == idcard.IdNumber(number, idcard.MAINLAND)
    assert check_digit(number[:17]) == number[17]


@given(
    region=st.sampled_from(["110101", "320102", "440106", "510104", "620102"]),
    birth=st.dates(min_value=datetime.date(1900, 1, 1), max_value=TODAY),
    seq=st.integers(min_value=0, max_value=999),
)
def test_it_accepts_exactly_one_check_character_for_each_body(region, birth, seq):
    """Of the eleven possible check characters, only the one the weights give is accepted."""
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    accepted = [c for c in "0123456789X" if is_valid_id_number(body + c, today=TODAY)]
    assert accepted == [make_id(region, f"{birth:%Y%m%d}", f"{seq:03d}")[-1]]


def test_it_normalises_a_lower_case_x():
    """A lower-case x check character is accepted and stored as X."""
    assert normalize_id_number("11010519491231002x") == "11010519491231002X"


def test_it_normalises_full_width_characters_and_surrounding_spaces():
    """Full-width digits and X, full-width, zero-width and ordinary spaces around are cleaned."""
    raw = "\u3000 １１０１０５１９４９１２３１００２ｘ\u200b\t"
    assert normalize_id_number(raw) == "11010519491231002X"


def test_it_refuses_spaces_inside_a_number():
    """Only surrounding whitespace is removed: an inner space is refused, not guessed at."""
    assert refusal("110105 19491231002X") == idcard.FORMAT


@pytest.mark.parametrize("wrong", sorted(set("0123456789X") - {"X"}))
def test_it_refuses_a_wrong_check_digit(wrong):
    """Any check character other than the computed one is refused as a check-digit error."""
    assert refusal("11010519491231002" + wrong) == idcard.CHECK_DIGIT


@pytest.mark.parametrize("birth", ["19900230", "19901301", "19900001", "19900100", "19000229", "18991231"])
def test_it_refuses_impossible_birth_dates(birth):
    """The birth date must be a real calendar date from 1900-01-01 on (1900 was not a leap year)."""
    assert refusal(make_id("110101", birth, "123"), today=TODAY) == idcard.BIRTH_DATE


def test_it_refuses_a_birth_date_in_the_future():
    """Born tomorrow is refused; born today is accepted."""
    assert refusal(make_id("110101", "20261123", "123"), today=TODAY) == idcard.BIRTH_DATE
    assert is_valid_id_number(make_id("110101", "20261122", "123"), today=TODAY)


def test_it_bounds_the_birth_date_by_the_current_date_in_china_by_default():
    """Without `today`, the current date (UTC+8) is the bound: a birth in 2999 is refused."""
    assert refusal(make_id("110101", "29991231", "123")) == idcard.BIRTH_DATE


@pytest.mark.parametrize("region", ["000000", "100000", "990000", "900101", "720000", "840000"])
def test_it_refuses_an_unknown_province_code(region):
    """The first two digits (after a leading 9, the next two) must be a province code."""
    assert refusal(make_id(region, "19800101", "123"), today=TODAY) == idcard.REGION


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002",  # a digit missing
        "110105194912310021X",  # a digit too many
        "110105491231002",  # first-generation 15-digit card, invalid since 2013
        "1101051949123100",
        "1101051949123100X",
    ],
)
def test_it_refuses_mainland_looking_numbers_of_the_wrong_length(raw):
    """A mistyped mainland number is refused, not accepted as another kind of document."""
    assert refusal(raw) == idcard.LENGTH


@pytest.mark.parametrize("raw", ["1101O519491231002X", "11010519491231002Y", "110105194912310X21"])
def test_it_refuses_letters_inside_a_mainland_number(raw):
    """An O typed for a 0, or a check character that is not a digit or X, is a format error."""
    assert refusal(raw) == idcard.FORMAT


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("A123456(7)", "A1234567"),  # Hong Kong identity card
        ("a123456（7）", "A1234567"),  # the same, full-width parentheses, lower case
        ("A1234567", "A1234567"),
        ("1234567(8)", "12345678"),  # Macau
        ("A123456789", "A123456789"),  # Taiwan
        ("H1234567801", "H1234567801"),  # 回乡证
        ("12345678", "12345678"),  # 台胞证
        ("E12345678", "E12345678"),  # passport
        ("USA110060101015", "USA110060101015"),  # 2004 foreign permanent resident card
    ],
)
def test_it_accepts_other_documents_with_kind_other(raw, number):
    """6 to 20 letters and digits, not mainland-looking, are another document, parentheses dropped."""
    assert parse_id_number(raw) == idcard.IdNumber(number, idcard.OTHER)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (None, idcard.EMPTY),
        ("", idcard.EMPTY),
        ("\u3000 ", idcard.EMPTY),
        ("张三", idcard.FORMAT),
        ("ZHANGSAN", idcard.FORMAT),  # no digit: a name in the wrong column
        ("A1234", idcard.FORMAT),  # too short
        ("A-123456", idcard.FORMAT),
        ("A12345678901234567890B", idcard.FORMAT),  # too long
        ("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", idcard.FORMAT),  # Arabic-Indic digits
    ],
)
def test_it_refuses_what_no_document_looks_like(raw, code):
    """Empty values, names, and values of the wrong shape are refused with their reason."""
    assert refusal(raw) == code
    assert is_valid_id_number(raw) is False


def test_it_keeps_the_last_four_characters():
    """id_last4 gives the last four characters of the normal form."""
    assert id_last4("11010519491231002x") == "002X"
    assert id_last4("A123456(7)") == "4567"


def test_it_hashes_with_hmac_sha256_keyed_by_the_salt():
    """The hash is HMAC-SHA256 of the normal form, in hex."""
    expected = hmac.new(b"s3cret", b"11010519491231002X", hashlib.sha256).hexdigest()
    assert hash_id_number("11010519491231002X", "s3cret") == expected
    assert len(expected) == 64


def test_it_hashes_every_spelling_of_a_number_alike():
    """Lower-case x, full-width digits and spaces do not change the hash."""
    hashes = {
        hash_id_number(raw, "salt")
        for raw in ["11010519491231002X", "11010519491231002x", " １１０１０５１９４９１２３１００２Ｘ"]
    }
    assert len(hashes) == 1


def test_it_hashes_differently_with_another_salt():
    """The same number gives another hash with another secret."""
    assert hash_id_number("11010519491231002X", "a") != hash_id_number("11010519491231002X", "b")


def test_it_refuses_to_hash_without_a_salt_or_an_invalid_number():
    """An empty salt is a programming error; an invalid number is refused as invalid."""
    with pytest.raises(ValueError, match="salt"):
        hash_id_number("11010519491231002X", "")
    with pytest.raises(InvalidIdNumber):
        hash_id_number("11010519491231002Y", "salt")


def test_it_refuses_to_compute_a_check_digit_of_anything_but_17_digits():
    """check_digit takes exactly 17 ASCII digits."""
    for bad in [
        "1101051949123100",
        "110105194912310021",
        "1101051949123100X",
        "１１０１０５１９４９１２３１００２",
    ]:
        with pytest.raises(ValueError):
            check_digit(bad)


# ---------------------------------------------------------------------------------------------- companies

USCC_EXAMPLES = ["91330100716105852F", "91350100M000100Y43"]  # check characters per GB 32100-2015


@pytest.mark.parametrize("code", USCC_EXAMPLES)
def test_it_accepts_a_companys_unified_social_credit_code(code):
    """A shop or office owned by a company: its 统一社会信用代码 is accepted with kind "uscc",
    in lower case and full width too."""
    assert idcard.parse_id_number(code) == idcard.IdNumber(code, idcard.USCC)
    assert idcard.parse_id_number(code.lower()).number == code
    assert idcard.uscc_check_character(code[:17]) == code[17]


@pytest.mark.parametrize("code", USCC_EXAMPLES)
def test_it_refuses_a_credit_code_with_a_wrong_check_character(code):
    """Every other check character is refused: a mistyped credit code does not slip through."""
    for wrong in sorted(set(idcard.USCC_CHARACTERS) - {code[17]}):
        assert not idcard.is_valid_id_number(code[:17] + wrong), wrong


def test_it_never_takes_a_mistyped_citizen_number_for_a_company():
    """Citizen numbers start with a province digit and are all digits: with a wrong check digit they
    are refused, whatever the credit code's check would say."""
    for seq in range(300):
        body = f"11010519491231{seq:03d}"
        right = idcard.check_digit(body)
        for wrong in sorted(set("0123456789X") - {right}):
            assert not idcard.is_valid_id_number(body + wrong), body + wrong

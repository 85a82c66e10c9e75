"""Right-to-left overrides and zero-width characters are not accepted in names (issue 14).

A name with U+202E (RIGHT-TO-LEFT OVERRIDE) reads differently from how it sorts, compares and is
exported; with U+200B (ZERO WIDTH SPACE) two names that look the same are different people. Every
way a name comes in stores the same clean name: the roll import, a page or API form, the admin and
a direct save, update or look-up (yezhu/text.py).
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from elections import nominations, voting
from elections.models import Candidate, CommitteeMember, Proxy
from grids.models import Owner
from grids.services import roll_file_import
from tests.elections.test_voting import open_election, voter_of
from tests.factories import UserFactory, sign_in
from tests.grids.test_import_service import make_id, roll_csv
from yezhu.accounts.models import User
from yezhu.actors import OPERATOR
from yezhu.text import clean_name, has_invisible

pytestmark = pytest.mark.django_db

# "张三" with a right-to-left override, a zero-width space, a BOM and a word joiner inside it,
# isolates around it, and full-width letters after it.
SPOOFED = "\u2066张\u202e三\u200b\ufeff\u2060\u2069 ＡＢ"
CLEAN = "张三 AB"


@pytest.mark.parametrize(
    "raw",
    [
        "张\u202a三",
        "张\u202b三",
        "张\u202c三",
        "张\u202d三",
        "张\u202e三",
        "张\u2066三",
        "张\u2067三",
        "张\u2068三",
        "张\u2069三",
        "张\u200b三",
        "张\u200c三",
        "张\u200d三",
        "张\ufeff三",
        "张\u2060三",
        "张\u200e三",
        "张\u200f三",
    ],
)
def test_bidi_and_zero_width_characters_are_removed(raw):
    assert clean_name(raw) == "张三" and has_invisible(raw) and not has_invisible(clean_name(raw))


def test_a_right_to_left_override_in_a_roll_file_is_removed(compound):
    data = roll_csv([("1-1-101", "90.00", [(SPOOFED, make_id(1), "13900000001")])])
    roll_file_import(compound=compound, data=data, filename="roll.csv", actor=OPERATOR, commit=True)
    assert Owner.objects.get().name == CLEAN
    # Importing the same file again changes nothing: the file's name and the stored one agree.
    again = roll_file_import(compound=compound, data=data, filename="roll.csv", actor=OPERATOR, commit=False)
    assert not again.diff.changed


def test_a_zero_width_space_typed_in_the_admin_is_removed(compound):
    admin = sign_in(Client(), UserFactory(is_staff=True, is_superuser=True))
    response = admin.post(
        reverse("admin:grids_owner_add"),
        {"name": SPOOFED, "id_number": make_id(7), "mobile": "", "user": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Owner.objects.get().name == CLEAN
    user = UserFactory()
    response = admin.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        {
            "phone": user.phone,
            "name": SPOOFED,
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "08:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert User.objects.get(pk=user.pk).name == CLEAN


def test_a_spoofed_proxy_name_from_a_page_or_the_api_is_removed(compound, homes):
    election = open_election(compound)
    proxy = voting.proxy_authorise(
        election=election,
        voter=voter_of(election, homes["alone_unit"]),
        actor=homes["alone"],
        proxy_mobile="13912340000",
        proxy_name=SPOOFED,
    )
    assert Proxy.objects.get(pk=proxy.pk).proxy_name == CLEAN
    assert User.objects.get(phone="13912340000").name == CLEAN


def test_a_nominee_named_with_a_zero_width_space_is_the_registered_owner(compound, homes):
    """The nomination API finds the owner by unit and name: the invisible character changes nothing."""
    found = nominations.find_owner(compound, unit_code="1-1-101", name="王\u200b一")
    assert found is not None and found.name == "王一"


def test_every_write_path_stores_the_clean_name(compound, homes):
    """save(), update() and bulk_create() store the clean form; a look-up finds it with or without."""
    election = open_election(compound)
    race = election.races.get()
    candidate = Candidate.objects.create(race=race, key="C9", name=SPOOFED)
    assert Candidate.objects.get(pk=candidate.pk).name == CLEAN and candidate.name == CLEAN
    Candidate.objects.filter(pk=candidate.pk).update(name="李\u202e四")
    assert Candidate.objects.get(pk=candidate.pk).name == "李四"
    assert Candidate.objects.filter(name="李\u200b四").exists()
    from elections.models import Committee

    committee = Committee.objects.create(compound=compound, term_start="2024-01-01", term_end="2028-12-31")
    CommitteeMember.objects.bulk_create([CommitteeMember(committee=committee, name=SPOOFED)])
    assert CommitteeMember.objects.get().name == CLEAN

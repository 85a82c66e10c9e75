"""The Django admin of the grids app: every model opens, totals on the compound, voter keys kept."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from grids.idcard import hash_id_number
from grids.models import (
    Building,
    Community,
    Compound,
    District,
    Grid,
    Owner,
    OwnerClaim,
    Ownership,
    PartyActivity,
    PartyMember,
    PartyOrg,
    PartyReport,
    RoleAssignment,
    Street,
    Unit,
)
from grids.roll import voter_key_for
from tests.factories import GridFactory, OwnerFactory, UserFactory, grant, sign_in, unit_with_owners
from tests.grids.test_import_service import make_id
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

MODELS = [
    District,
    Street,
    Community,
    Compound,
    Building,
    Unit,
    Owner,
    Ownership,
    OwnerClaim,
    PartyOrg,
    PartyMember,
    Grid,
    RoleAssignment,
]
#: Read in the admin, written through the party pages (grids.party): no add page.
READ_ONLY = [PartyReport, PartyActivity]


@pytest.fixture
def admin_client(client):
    sign_in(client, UserFactory(is_staff=True, is_superuser=True))
    return client


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_it_opens_the_list_search_and_add_page_of_every_model(admin_client, compound, model):
    """Each grids model has a working changelist (with a search) and add form."""
    unit_with_owners(compound, "1-1-101", "80.00", [OwnerFactory()])
    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    assert admin_client.get(admin_url(model, "changelist"), {"q": "1"}).status_code == 200
    assert admin_client.get(admin_url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda m: m.__name__)
def test_it_lists_the_party_records_the_pages_write_and_adds_none(admin_client, model):
    assert admin_client.get(admin_url(model, "changelist"), {"q": "1"}).status_code == 200
    assert admin_client.get(admin_url(model, "add")).status_code == 403


def test_it_shows_the_compounds_roll_totals_on_its_change_page(admin_client, compound):
    """The compound's change page shows units, area and heads computed from the roll."""
    a = OwnerFactory()
    unit_with_owners(compound, "1-1-101", "33.33", [a])
    unit_with_owners(compound, "1-1-102", "66.67", [a])
    unit_with_owners(compound, "1-1-103", "10.00", status=Unit.Status.UNSOLD)
    html = admin_client.get(admin_url(Compound, "change", compound.pk)).content.decode()
    assert "110.00" in html
    assert "1-1-101" not in html  # totals, not a unit list


def test_it_shows_only_the_last_four_of_an_identity_number(admin_client, compound):
    """An owner added in the admin is stored as hash and last four; the page never shows the number."""
    number = make_id(77)
    response = admin_client.post(admin_url(Owner, "add"), {"name": "陈九", "id_number": number, "mobile": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    owner = Owner.objects.get(name="陈九")
    assert owner.id_hash == hash_id_number(number, settings.ID_NUMBER_SALT)
    assert owner.id_last4 == number[-4:]
    html = admin_client.get(admin_url(Owner, "change", owner.pk)).content.decode()
    assert number[-4:] in html
    assert number not in html and owner.id_hash not in html
    listing = admin_client.get(admin_url(Owner, "changelist")).content.decode()
    assert number not in listing


def test_it_refuses_an_invalid_identity_number_in_the_admin(admin_client):
    response = admin_client.post(admin_url(Owner, "add"), {"name": "陈九", "id_number": "12345678901234567X"})
    assert response.status_code == 200
    assert not Owner.objects.filter(name="陈九").exists()


def _unit_form(unit, ownerships, *, extra_owner=None, delete=()):
    """POST data of the unit change form with its ownership inline."""
    data = {
        "compound": unit.compound_id,
        "building": unit.building_id,
        "entrance": unit.entrance,
        "number": unit.number,
        "code": unit.code,
        "kind": unit.kind,
        "area": str(unit.area),
        "area_source": unit.area_source,
        "status": unit.status,
        "ownerships-TOTAL_FORMS": str(len(ownerships) + 1),
        "ownerships-INITIAL_FORMS": str(len(ownerships)),
        "ownerships-MIN_NUM_FORMS": "0",
        "ownerships-MAX_NUM_FORMS": "1000",
    }
    for i, ownership in enumerate(ownerships):
        data[f"ownerships-{i}-id"] = str(ownership.pk)
        data[f"ownerships-{i}-unit"] = str(unit.pk)
        data[f"ownerships-{i}-owner"] = str(ownership.owner_id)
        if ownership.owner_id in delete:
            data[f"ownerships-{i}-DELETE"] = "on"
    n = len(ownerships)
    data[f"ownerships-{n}-unit"] = str(unit.pk)
    data[f"ownerships-{n}-owner"] = str(extra_owner.pk) if extra_owner else ""
    return data


def test_it_updates_the_voter_key_when_the_admin_changes_a_units_owners(admin_client, compound):
    """Adding a co-owner and removing an owner in the unit's inline moves the unit to the new voter."""
    a, b, c = OwnerFactory(), OwnerFactory(), OwnerFactory()
    unit = unit_with_owners(compound, "1-1-101", "80.00", [a])
    twin = unit_with_owners(compound, "1-1-102", "70.00", [a, b])
    url = admin_url(Unit, "change", unit.pk)

    response = admin_client.post(url, _unit_form(unit, list(unit.ownerships.all()), extra_owner=b))
    assert response.status_code == 302, response.content.decode()[:3000]
    unit.refresh_from_db()
    assert unit.voter_key == twin.voter_key == voter_key_for(status="delivered", owner_ids=[a.pk, b.pk])
    assert AuditEntry.objects.filter(action="roll.voter_key_changed", compound_id=compound.pk).exists()

    response = admin_client.post(
        url, _unit_form(unit, list(unit.ownerships.order_by("pk")), extra_owner=c, delete={a.pk})
    )
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.voter_key == voter_key_for(status="delivered", owner_ids=[b.pk, c.pk])


def test_it_updates_the_voter_key_when_the_admin_changes_a_units_status(admin_client, compound):
    """A delivered unit turned unsold in the admin joins the developer's voter."""
    a = OwnerFactory()
    unit = unit_with_owners(compound, "1-1-101", "80.00", [a])
    data = _unit_form(unit, list(unit.ownerships.all()))
    data["status"] = Unit.Status.UNSOLD
    assert admin_client.post(admin_url(Unit, "change", unit.pk), data).status_code == 302
    unit.refresh_from_db()
    assert unit.voter_key == Unit.DEVELOPER_KEY


def test_it_updates_the_voter_key_when_an_ownership_is_deleted_in_the_admin(admin_client, compound):
    """Deleting an Ownership row on its own admin page recomputes the unit's key."""
    a, b = OwnerFactory(), OwnerFactory()
    unit = unit_with_owners(compound, "1-1-101", "80.00", [a, b])
    ownership = unit.ownerships.get(owner=b)
    response = admin_client.post(admin_url(Ownership, "delete", ownership.pk), {"post": "yes"})
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.voter_key == voter_key_for(status="delivered", owner_ids=[a.pk])


def test_it_shows_grid_posts_and_party_members_inline(admin_client, compound):
    """The grid page lists its posts; the party organisation page lists its members."""
    grid = GridFactory(compound=compound, name="第一网格")
    grant(UserFactory(name="网格长老王"), RoleAssignment.Role.GRID_LEADER, grid)
    org = PartyOrg.objects.create(name="西园里党支部", level=PartyOrg.Level.COMPOUND, compound=compound)
    PartyMember.objects.create(org=org, name="党员小李")
    assert "网格长老王" in admin_client.get(admin_url(Grid, "change", grid.pk)).content.decode()
    assert "党员小李" in admin_client.get(admin_url(PartyOrg, "change", org.pk)).content.decode()


def test_it_lists_the_units_of_a_building_inline(admin_client, compound):
    unit_with_owners(compound, "1-1-101", "80.00", [OwnerFactory()])
    building = Building.objects.get(compound=compound, name="1")
    assert "1-1-101" in admin_client.get(admin_url(Building, "change", building.pk)).content.decode()


@pytest.mark.parametrize(
    ("url", "prefix", "fields"),
    [
        ("admin:elections_committee_add", "members", ("name", "role", "party_member", "position")),
        ("admin:grids_compound_add", "buildings", ("name",)),
    ],
)
def test_it_names_every_input_of_an_inline_row_for_screen_readers(admin_client, url, prefix, fields):
    """A tabular inline writes the labels in its header only: each input of a row carries its label
    itself (aria-label), or a screen reader meets a row of nameless inputs (axe `label`, critical;
    issue 20). The empty row the page clones for "add another" is checked."""
    import re

    html = admin_client.get(reverse(url)).content.decode()
    for field in fields:
        tag = re.search(rf'<(?:input|select)[^>]*id="id_{prefix}-__prefix__-{field}"[^>]*>', html)
        assert tag is not None, field
        assert 'aria-label="' in tag.group(0), tag.group(0)


# ---------------------------------------------------------------------------------------------- labels in Chinese

_CJK = re.compile(r"[\u4e00-\u9fff]")


def test_it_gives_every_field_a_chinese_label():
    """A field without a verbose name is labelled by its attribute name ("Compound", "Election")
    in the admin whatever the language: every field of the site's own models has a translated one."""
    untranslated = []
    with translation.override("zh-hans"):
        for model in apps.get_models():
            if not model.__module__.startswith(("grids.", "elections.", "yezhu.")):
                continue
            for field in model._meta.get_fields():
                if field.auto_created or not hasattr(field, "verbose_name"):
                    continue
                if not _CJK.search(str(field.verbose_name)):
                    untranslated.append(f"{model.__name__}.{field.name}: {field.verbose_name}")
    assert untranslated == []


@pytest.mark.parametrize(
    ("model", "english"),
    [
        (Building, "Compound"),
        (Unit, "Building"),
        (Grid, "Parent"),
        (Ownership, "Owner"),
        (PartyOrg, "Parent"),
    ],
    ids=lambda v: getattr(v, "__name__", v),
)
def test_it_labels_the_foreign_keys_in_chinese_on_the_admin_forms(admin_client, compound, model, english):
    html = admin_client.get(admin_url(model, "add")).content.decode()
    labels = [
        re.sub(r"<[^>]+>", "", label).strip()
        for label in re.findall(r"<label[^>]*>(.*?)</label>", html, re.S)
    ]
    assert labels
    assert not [label for label in labels if re.fullmatch(r"[A-Za-z][A-Za-z ]*:?", label)], labels
    assert f">{english}:<" not in html

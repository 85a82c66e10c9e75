"""No identity number anywhere, and no full mobile number except where the work needs it.

Identity numbers are never stored (a salted hash and the last four characters): none of the
18-character numbers of the two rolls may appear on any page, export, audit row or log line.
Full mobile numbers appear only in the places listed in `FULL_MOBILE_ALLOWED`; everywhere else
they are masked (138****5678).
"""

from __future__ import annotations

import io
import logging
import zipfile

import pytest
from django.test import Client
from django.urls import reverse

from tests.security import build_world
from tests.security.test_url_scoping import RECIPES, probed_patterns, url_of
from yezhu.audit.models import AuditEntry

# (pattern, viewer) pairs that show full mobile numbers of the roll, and why.
FULL_MOBILE_ALLOWED = {
    # The roll export for the staff who manage the compound: they call owners about the election.
    ("grids:roll_export", "a_staff"),
    ("grids:roll_export", "a_wg"),
    ("grids:roll_export", "superuser"),  # a superuser manages every compound
    # The grid leader's canvassing pages for their own grid: they phone the owners who have not
    # voted yet (the page is audited as grid.contacts_viewed).
    ("grid:election", "a_leader"),
    ("grid:election", "a_leader2"),
    ("grid:voter", "a_leader2"),
}
VIEWERS = ["a_staff", "a_wg", "a_auditor", "a_leader", "a_leader2", "a_owner", "a_voter", "superuser"]


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return build_world()


def text_of(response) -> str:
    """The readable text of a response: HTML, JSON, CSV, or every part of an XLSX (a zip)."""
    data = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    return data.decode("utf-8", "replace")


def _grid_mobiles(world, who: str) -> set[str]:
    """The mobile numbers of the owners in the grid this leader leads."""
    from grids.models import Owner

    grid = world.grid1 if who == "a_leader" else world.grid2
    owners = Owner.objects.filter(units__building__grids=grid).exclude(mobile="")
    return set(owners.values_list("mobile", flat=True))


def pages(world, viewers=VIEWERS):
    """(pattern, viewer, response) for every GET the walk reaches with status 200."""
    for name, _route in probed_patterns():
        url = url_of(name, world)
        for who in dict.fromkeys([RECIPES[name].legit, *viewers]):
            client = Client()
            client.force_login(world.users[who])
            response = client.get(url)
            if response.status_code == 200:
                yield name, who, response


def test_it_shows_no_identity_number_and_masks_mobiles_everywhere(world, caplog):
    """Every page and export that staff, auditors, grid leaders and owners reach holds no identity
    number, and no full mobile number of the roll outside the listed exceptions and one's own."""
    caplog.set_level(logging.DEBUG)
    seen, failures, allowed_seen = 0, [], set()
    for name, who, response in pages(world):
        seen += 1
        text = text_of(response)
        for number in world.id_numbers:
            if number in text or number.lower() in text:
                failures.append(f"{name} as {who}: identity number {number[:6]}…")
        own = world.own_mobile.get(who)
        full = [m for m in world.mobiles if m in text and m != own]
        if full:
            if (name, who) in FULL_MOBILE_ALLOWED:
                allowed_seen.add((name, who))
                if name.startswith("grid:"):
                    outside = set(full) - _grid_mobiles(world, who)
                    if outside:
                        failures.append(f"{name} as {who}: numbers outside their grid {sorted(outside)[:3]}")
            else:
                failures.append(f"{name} as {who}: full mobile numbers {full[:3]}")
    assert seen > 150
    assert not failures, "\n".join(failures)
    # The exceptions are real: each of them does show full numbers (else drop it from the list).
    assert allowed_seen == FULL_MOBILE_ALLOWED
    logged = caplog.text
    assert not [n for n in world.id_numbers if n in logged]
    assert not [m for m in world.mobiles if m in logged]


def test_it_masks_mobiles_in_the_roll_export_for_auditors(world):
    """The same export for an auditor (not managing) carries masked numbers only."""
    client = Client()
    client.force_login(world.users["a_auditor"])
    text = text_of(client.get(reverse("grids:roll_export", args=[world.compound.pk])))
    assert not [m for m in world.mobiles if m in text]
    assert any(f"{m[:3]}****{m[-4:]}" in text for m in world.mobiles)


def test_it_keeps_identity_numbers_and_mobiles_out_of_the_audit_log_and_logs(
    world, caplog, django_capture_on_commit_callbacks
):
    """Audit rows (summary, data, actor) and log output of a roll import, a failed sign-in and a code
    request hold no identity number and no full mobile number."""
    from grids.roll_file import parse_roll
    from grids.sample import roll_csv, roll_rows
    from grids.services import roll_import

    caplog.set_level(logging.DEBUG)
    rows = roll_rows(6, seed=5, floors=1, per_floor=2, entrances=1, with_mobile_share=1.0, unsold_share=0)
    roll_import(
        compound=world.other_compound,
        parsed=parse_roll(roll_csv(rows), "more.csv"),
        actor=world.users["b_staff"],
    )
    ids = world.id_numbers + [r[9] for r in rows if r[9]]
    mobiles = world.mobiles + [r[8] for r in rows if r[8]]
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_request_login_code"), {"phone": mobiles[0]})
    Client().login(phone=mobiles[1], password="wrong-password-123")  # noqa: S106
    entries = list(AuditEntry.objects.all())
    assert entries
    for entry in entries:
        text = f"{entry.actor_label} {entry.summary} {entry.data}"
        assert not [n for n in ids if n in text], entry.action
        assert not [m for m in mobiles if m in text], entry.action
    assert not [n for n in ids if n in caplog.text]
    assert not [m for m in mobiles if m in caplog.text]

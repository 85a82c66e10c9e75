"""Every record true (issue 14, finding 3): a revoked proxy loses access at once; printing ballots
is audited; every export writes text as text; an oversized API body gets the API's JSON error.

(At-most-once SMS delivery is the go-live branch's; names are in test_names.py and large roll
previews in test_roll_preview_job.py.)
"""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from elections import voting
from elections.models import Delivery, Notice, Voter
from elections.notices import deliveries_export_xlsx
from tests.elections.test_voting import close_and_publish, open_election, voter_of
from tests.factories import OwnerFactory, UserFactory, api_token, sign_in, unit_with_owners
from yezhu.audit.models import AuditEntry
from yezhu.csvfile import csv_bytes

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://example.com/steal","点我领奖")'


# -- a revoked proxy ------------------------------------------------------------------------------


def test_a_revoked_proxy_loses_the_election_pages_and_the_bundle_at_once(compound, homes):
    """The proxy (who owns nothing in the compound) saw the election while authorised; once the
    owner revokes, the pages, the board and the bundle are 404, on the site and the API."""
    election = open_election(compound)
    proxy = voting.proxy_authorise(
        election=election,
        voter=voter_of(election, homes["alone_unit"]),
        actor=homes["alone"],
        proxy_mobile="13912388888",
        proxy_name="代理人",
    )
    client = sign_in(Client(), proxy.proxy_user)
    assert client.get(reverse("elections:detail", args=[election.pk])).status_code == 200
    voting.proxy_revoke(proxy=proxy, actor=homes["alone"])
    close_and_publish(election)
    for name in ("elections:detail", "elections:results", "elections:board", "elections:bundle"):
        assert client.get(reverse(name, args=[election.pk])).status_code == 404, name
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(proxy.proxy_user)}")
    assert api.get(f"/api/v1/elections/{election.pk}/bundle/").status_code == 404
    assert api.get(f"/api/v1/elections/{election.pk}/").status_code == 404


# -- printing ballots -----------------------------------------------------------------------------


def test_printing_paper_ballots_is_audited_with_the_serials(compound, homes, working_group):
    """Each printed ballot is a keyable ballot for a named voter: who printed which serials."""
    election = open_election(compound)
    voter = voter_of(election, homes["alone_unit"])
    client = sign_in(Client(), working_group)
    response = client.get(reverse("manage:paper_print_voter", args=[election.pk, voter.pk]))
    assert response.status_code == 200
    row = AuditEntry.objects.get(action="paper.printed")
    assert row.actor == working_group and row.election_id == election.pk
    serial = row.data["serials"][0]
    assert serial in response.content.decode() and row.data["voters"] == [voter.pk]
    building = homes["alone_unit"].building
    client.get(reverse("manage:paper_print_building", args=[election.pk, building.pk]))
    assert AuditEntry.objects.filter(action="paper.printed").count() == 2


# -- text as text ---------------------------------------------------------------------------------


def test_the_proof_of_service_export_writes_a_formula_name_as_text(compound, homes):
    """An owner named =HYPERLINK(…) is a text cell in the proof of service, never a live formula."""
    election = open_election(compound)
    owner = OwnerFactory(name=HYPERLINK, mobile="13912377777")
    unit_with_owners(compound, "8-1-801", "70.00", [owner])
    notice = Notice.objects.create(
        compound=compound,
        election=election,
        kind="assembly",
        audience="all_owners",
        title="公告",
        body="正文",
    )
    Delivery.objects.create(notice=notice, channel="sms", recipient_key=f"owner:{owner.pk}", owner=owner)
    data = deliveries_export_xlsx(election)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "HYPERLINK" in sheet
    cell = next(
        c for row in load_workbook(io.BytesIO(data)).active.iter_rows() for c in row if c.value == HYPERLINK
    )
    assert cell.data_type == "s"


@pytest.mark.parametrize("text", [HYPERLINK, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "＝1+1", "\t=1"])
def test_a_csv_export_writes_formula_text_as_text(text):
    rows = list(csv.reader(io.StringIO(csv_bytes([["姓名"], [text]]).decode("utf-8-sig"))))
    assert rows[1] == ["'" + text]


def test_every_csv_download_goes_through_the_safe_writer(compound, homes, working_group):
    """The roll template and the paper-ballot sheet template: no cell a spreadsheet would run."""
    from yezhu.xlsx import reads_as_formula

    election = open_election(compound)
    client = sign_in(Client(), working_group)
    for url in (reverse("grids:template_csv"), reverse("manage:paper_import_template", args=[election.pk])):
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        body = response.content.decode("utf-8-sig")
        assert all(not reads_as_formula(cell) for row in csv.reader(io.StringIO(body)) for cell in row)


# -- oversized API bodies ------------------------------------------------------------------------


def test_an_oversized_api_body_gets_the_apis_json_error(compound, homes):
    """A 9 MB body: 413 with {"error": {"code": "too_large"}}, for a token and a session alike."""
    user = UserFactory()
    body = b'{"voter": 1, "choices": {"x": "' + b"a" * (9 * 1024 * 1024) + b'"}}'
    token = APIClient()
    token.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    session = APIClient()
    session.force_login(user)
    election = open_election(compound)
    for client in (token, session):
        response = client.generic(
            "POST", f"/api/v1/elections/{election.pk}/ballot/", body, content_type="application/json"
        )
        assert response.status_code == 413
        assert response["Content-Type"].startswith("application/json")
        assert json.loads(response.content)["error"]["code"] == "too_large"
    assert not Voter.objects.filter(election=election, ballots__isnull=False).exists()


def test_a_roll_file_within_the_upload_limit_still_reaches_the_api(compound, street_staff):
    """The limit of a multipart upload is the largest file the API takes, not the 5 MB of a form."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(street_staff)}")
    big = io.BytesIO(b"x" * (6 * 1024 * 1024))
    big.name = "roll.csv"
    response = api.post(f"/api/v1/compounds/{compound.pk}/roll-import/", {"file": big}, format="multipart")
    assert response.status_code == 400, response.content[:300]  # read and refused as a roll file
    assert json.loads(response.content)["error"]["code"] != "too_large"

"""Every upload field refuses a file of the wrong type and an oversize file, says why in Chinese,
and writes nothing (no row, no job, no stored file)."""

from __future__ import annotations

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from elections.models import Committee, CommitteeDocument, Nomination, Proxy, VettingFlag
from grids.models import Owner, Unit
from tests.security import PNG, build_world
from yezhu.jobs.models import Job

MB = 1024 * 1024
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return build_world()


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


def _files(root) -> set[str]:
    return {os.path.join(d, f) for d, _dirs, files in os.walk(root) for f in files}


def _state():
    return (
        Job.objects.count(),
        Nomination.objects.count(),
        VettingFlag.objects.count(),
        Proxy.objects.count(),
        Committee.objects.count(),
        CommitteeDocument.objects.count(),
        Unit.objects.count(),
        Owner.objects.count(),
    )


def _zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def _upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def _cases(w):
    """(label, user key, url, form data without the file, file field, wrong file, oversize file, messages)"""
    e_nom, e_vote = w.e_nom, w.e_vote
    return [
        (
            "roll import",
            "a_staff",
            reverse("grids:roll_upload", args=[w.compound.pk]),
            {},
            "file",
            _upload("roll.csv", EXE),
            _upload("roll.csv", b"a" * (20 * MB + 1)),
            ["The file is named .csv but is not a text file", "The file is larger than 20 MB."],
        ),
        (
            "paper-ballot import",
            "a_staff",
            reverse("manage:paper_import", args=[e_vote.pk]),
            {},
            "file",
            _upload("sheet.pdf", b"%PDF-1.4"),
            _upload("sheet.csv", b"a" * (10 * MB + 1)),
            ["Upload an .xlsx or .csv file.", "The file is larger than 10 MB."],
        ),
        (
            "committee import",
            "a_staff",
            reverse("street:import_committees"),
            {},
            "file",
            _upload("committees.csv", b"a,b\n"),
            _upload("committees.xlsx", b"a" * (5 * MB + 1)),
            ["Upload an Excel workbook (.xlsx).", "The file is larger than 5 MB."],
        ),
        (
            "vetting evidence",
            "a_staff",
            reverse("manage:vetting_flag", args=[e_nom.pk, w.vetted.pk]),
            {"kind": "other", "note": "证据"},
            "evidence",
            _upload("evidence.pdf", EXE),
            _upload("evidence.pdf", b"%PDF-1.4\n" + b"a" * (5 * MB)),
            ["Only photos (JPG, PNG, GIF, WebP) or PDF files are accepted.", "at most 5 MB is accepted"],
        ),
        (
            "proxy document",
            "a_staff",
            reverse("manage:proxies", args=[e_vote.pk]),
            {"unit": "2-2-301", "proxy_name": "代理人乙", "proxy_mobile": "13912345678"},
            "document",
            _upload("scan.pdf", EXE),
            _upload("scan.png", PNG + b"a" * (5 * MB)),
            ["The scan must be a JPEG or PNG photo or a PDF file.", "The scan is larger than 5 MB"],
        ),
        (
            "candidate photo (owner)",
            "a_voter",
            reverse("elections:nominate", args=[e_nom.pk]),
            {"race": w.race.pk, "who": "self", "bio": "简介"},
            "photo",
            _upload("me.png", b"%PDF-1.4 not a photo"),
            _upload("me.png", PNG + b"a" * (5 * MB)),
            ["Only photos (JPG, PNG, GIF, WebP) are accepted.", "at most 5 MB is accepted"],
        ),
        (
            "candidate photo (staff)",
            "a_wg",
            reverse("manage:nomination_new", args=[e_nom.pk]),
            {
                "race": w.race.pk,
                "source": "working_group",
                "unit_code": "2-2-302",
                "name": Owner.objects.get(units__code="2-2-302", units__compound=w.compound).name,
                "bio": "简介",
            },
            "photo",
            _upload("p.gif", EXE),
            _upload("p.png", PNG + b"a" * (5 * MB)),
            ["Only photos (JPG, PNG, GIF, WebP) are accepted.", "at most 5 MB is accepted"],
        ),
        (
            "committee document",
            "a_staff",
            reverse("manage:committee_document_add", args=[w.committee.pk]),
            {"kind": "registration", "title": "登记证书"},
            "file",
            _upload("registration.pdf", EXE),
            _upload("registration.pdf", b"%PDF-1.4\n" + b"a" * (10 * MB)),
            [
                "This file is not the PDF or picture its name says: upload the scanned document itself.",
                "The file is larger than 10 MB.",
            ],
        ),
    ]


def _zh_fragment(message: str) -> str:
    """The Chinese text of a message (or of the start of a message that has placeholders)."""
    full = _zh(message)
    if full != message:
        return full
    with translation.override("zh-hans"):
        from django.utils.translation import trans_real

        catalog = trans_real.translation("zh-hans")._catalog
        for msgid, msgstr in catalog.items():
            if (
                isinstance(msgid, str)
                and msgid.startswith(message)
                or (isinstance(msgid, str) and message in msgid)
            ):
                return msgstr.split("%")[0].strip("，。 ")[:8]
    raise AssertionError(f"no translation for {message!r}")


@pytest.mark.parametrize("which", ["wrong type", "oversize"])
def test_it_refuses_bad_uploads_on_every_upload_field(world, settings, which):
    """Wrong type and oversize files are refused with a Chinese message and nothing is written."""
    failures = []
    for label, who, url, data, field, wrong, big, msgs in _cases(world):
        upload = wrong if which == "wrong type" else big
        expected = msgs[0] if which == "wrong type" else msgs[1]
        before, files = _state(), _files(settings.MEDIA_ROOT)
        response = _client(world.users[who]).post(url, {**data, field: upload}, follow=True)
        body = response.content.decode()
        if _state() != before:
            failures.append(f"{label}: {which} changed the database")
        if _files(settings.MEDIA_ROOT) != files:
            failures.append(f"{label}: {which} stored a file")
        if _zh_fragment(expected) not in body:
            failures.append(f"{label}: {which} gave no Chinese message ({_zh_fragment(expected)!r})")
    assert not failures, "\n".join(failures)


def test_it_refuses_a_roll_import_through_the_api_that_is_not_a_roll(world):
    """The API's roll import refuses a file that is not a roll and changes nothing."""
    from rest_framework.test import APIClient

    client = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_authenticate(world.users["a_staff"])
    before = _state()
    response = client.post(
        reverse("api:compound-roll-import", args=[world.compound.pk]),
        {"file": _upload("roll.xlsx", EXE), "commit": "true"},
        format="multipart",
    )
    assert 400 <= response.status_code < 500
    assert _state() == before


def test_it_accepts_a_real_photo_so_the_refusals_are_about_the_file(world, settings):
    """The same nomination with a real PNG photo is accepted: the refusals above are the file's."""
    before = Nomination.objects.count()
    response = _client(world.users["a_voter"]).post(
        reverse("elections:nominate", args=[world.e_nom.pk]),
        {"race": world.race.pk, "who": "self", "bio": "简介", "photo": _upload("me.png", PNG)},
    )
    assert response.status_code in (200, 302)
    assert Nomination.objects.count() == before + 1

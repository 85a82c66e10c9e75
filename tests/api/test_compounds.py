"""Compounds, buildings, units and the roll import through the API."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from grids.models import Unit
from grids.roll_file import COLUMNS
from tests.factories import OwnerFactory, unit_with_owners

HEADER = ",".join(COLUMNS)
GOOD_CSV = (
    HEADER
    + "\n1,1,101,住宅,89.50,登记,已交付,张三,13800138000,11010519491231002X"
    + "\n1,1,102,住宅,110.00,登记,已交付,李四,,110105194912310038"
    + "\n2,,1501,住宅,120.00,合同,未售,某某房地产开发有限公司,,\n"
)


def csv_file(text: str, name: str = "roll.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


@pytest.mark.django_db
def test_it_lists_the_compounds_of_the_staff_scope(as_user, compound, other_compound, street_staff):
    """Street staff see their street's compounds, paginated, and not another street's."""
    response = as_user(street_staff).get("/api/v1/compounds/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [c["code"] for c in body["results"]] == ["XYLW"]
    assert body["results"][0]["street"]["name"] == "湖滨街道"


@pytest.mark.django_db
def test_it_shows_the_roll_totals_on_the_detail(as_user, compound, street_staff, owners):
    """The detail carries the statutory roll: units, area, heads."""
    response = as_user(street_staff).get(f"/api/v1/compounds/{compound.pk}/")
    assert response.status_code == 200
    assert response.json()["roll"] == {"units": 2, "area": "200.00", "heads": 2}


@pytest.mark.django_db
def test_it_answers_404_for_another_streets_compound(as_user, compound, outsider_staff):
    """Another street's staff get 404 for the compound, its units and its buildings."""
    unit = unit_with_owners(compound, "3-1-301", "80.00", [OwnerFactory()])
    client = as_user(outsider_staff)
    assert client.get(f"/api/v1/compounds/{compound.pk}/").status_code == 404
    assert client.get(f"/api/v1/units/{unit.pk}/").status_code == 404
    assert client.get(f"/api/v1/buildings/{unit.building_id}/").status_code == 404
    assert client.get("/api/v1/units/").json()["count"] == 0


@pytest.mark.django_db
def test_it_shows_an_owner_only_their_own_units(as_user, compound, owners):
    """An owner lists their own unit only; another owner's unit is 404."""
    (user, _owner, unit), (_other, _o, other_unit) = owners
    client = as_user(user)
    listed = client.get("/api/v1/units/").json()
    assert [u["code"] for u in listed["results"]] == [unit.code]
    assert listed["results"][0]["owners"][0]["mobile"].count("*") == 4
    assert client.get(f"/api/v1/units/{other_unit.pk}/").status_code == 404
    assert client.get(f"/api/v1/compounds/{compound.pk}/").status_code == 200
    assert [b["id"] for b in client.get("/api/v1/buildings/").json()["results"]] == [unit.building_id]


@pytest.mark.django_db
def test_it_filters_units(as_user, compound, street_staff, owners):
    """Units filter by code and kind; an unknown kind is a 400 with the field named."""
    client = as_user(street_staff)
    assert [u["code"] for u in client.get("/api/v1/units/", {"code": "102"}).json()["results"]] == ["1-1-102"]
    assert client.get("/api/v1/units/", {"kind": "parking"}).json()["count"] == 0
    bad = client.get("/api/v1/units/", {"kind": "castle"})
    assert bad.status_code == 400
    assert "kind" in bad.json()["error"]["fields"]


@pytest.mark.django_db
def test_it_refuses_anonymous_and_wrong_methods(as_user, compound, street_staff):
    """Anonymous is 401; POST on the list and DELETE on a compound are 405."""
    assert as_user(None).get("/api/v1/compounds/").status_code == 401
    client = as_user(street_staff)
    assert client.post("/api/v1/compounds/", {}, format="json").status_code == 405
    response = client.delete(f"/api/v1/compounds/{compound.pk}/")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.django_db
def test_it_previews_a_roll_without_writing(as_user, compound, working_group):
    """A dry run (commit false) answers the changes and the roll before, and writes nothing."""
    response = as_user(working_group).post(
        f"/api/v1/compounds/{compound.pk}/roll-import/", {"file": csv_file(GOOD_CSV)}, format="multipart"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["committed"] is False
    assert body["rows"] == 3
    assert body["changes"]["added"] == 3
    assert body["roll_after"] is None
    assert not Unit.objects.filter(compound=compound).exists()


@pytest.mark.django_db
def test_it_imports_a_roll_when_committed(as_user, compound, working_group):
    """commit=true imports the whole file and answers the new roll totals."""
    response = as_user(working_group).post(
        f"/api/v1/compounds/{compound.pk}/roll-import/",
        {"file": csv_file(GOOD_CSV), "commit": "true"},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    assert response.json()["committed"] is True
    assert response.json()["roll_after"] == {"units": 3, "area": "319.50", "heads": 3}
    assert Unit.objects.filter(compound=compound).count() == 3


@pytest.mark.django_db
def test_it_lists_every_bad_row_and_imports_nothing(as_user, compound, working_group):
    """A file with bad rows is 400 roll_file_invalid with each "第 N 行：…" under fields.file."""
    text = GOOD_CSV + "3,1,101,住宅,-5,登记,已交付,王五,,110105194912310046\n"
    response = as_user(working_group).post(
        f"/api/v1/compounds/{compound.pk}/roll-import/",
        {"file": csv_file(text), "commit": "true"},
        format="multipart",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "roll_file_invalid"
    assert error["fields"]["file"] and all(line.startswith("第 5 行") for line in error["fields"]["file"])
    assert not Unit.objects.filter(compound=compound).exists()


@pytest.mark.django_db
def test_it_refuses_a_wrong_file_type(as_user, compound, working_group):
    """Only .csv and .xlsx are accepted."""
    response = as_user(working_group).post(
        f"/api/v1/compounds/{compound.pk}/roll-import/",
        {"file": csv_file(GOOD_CSV, name="roll.txt")},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsupported_file_type"
    assert "file" in response.json()["error"]["fields"]


@pytest.mark.django_db
def test_it_refuses_a_file_over_20_mb(as_user, compound, working_group, monkeypatch):
    """A file over the limit is 413 file_too_large (the limit lowered so the test stays small)."""
    monkeypatch.setattr("grids.api.MAX_ROLL_BYTES", 1000)
    response = as_user(working_group).post(
        f"/api/v1/compounds/{compound.pk}/roll-import/",
        {"file": csv_file(GOOD_CSV + "#" * 2000)},
        format="multipart",
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "file_too_large"
    assert "20 MB" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_it_lets_only_managers_import(as_user, compound, outsider_staff, owners):
    """Another street's staff and an owner get 404 for the import; nothing is written."""
    for user in (outsider_staff, owners[0][0]):
        response = as_user(user).post(
            f"/api/v1/compounds/{compound.pk}/roll-import/",
            {"file": csv_file(GOOD_CSV), "commit": "true"},
            format="multipart",
        )
        assert response.status_code == 404
    assert Unit.objects.filter(compound=compound).count() == 2

"""The first assembly (首次业主大会, Election.Kind.FIRST_ASSEMBLY): its conditions checked before its
working group is formed, the street office's recorded exception, the rules of procedure and the
management statute on its agenda before the notice, and the working group's make-up (指导规则
第八–十五条; 民法典 第278条 第一、二项). Preconditions come from the transition table, so the page,
the API and blockers() give the same codes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from elections import lifecycle as lc
from elections.errors import ElectionError, Refused
from elections.lifecycle import table
from elections.models import Election, FirstAssemblyException, Matter, Stage
from grids.models import RoleAssignment, Unit
from tests.api.conftest import token_client
from tests.elections.test_lifecycle import add_working_group, schedule
from tests.factories import OwnerFactory, UserFactory, grant, unit_with_owners
from yezhu.actors import OPERATOR
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def pdf(name: str = "决定.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def roll(compound, delivered: str, undelivered: str) -> None:
    """One delivered home of `delivered` ㎡ and the developer's unsold rest (RULES.md §1)."""
    unit_with_owners(compound, "1-1-101", delivered, [OwnerFactory()])
    unit_with_owners(compound, "9-1-901", undelivered, status=Unit.Status.UNSOLD)


def first_assembly(compound) -> Election:
    return lc.election_create(
        compound=compound, title="首次业主大会", kind=Election.Kind.FIRST_ASSEMBLY, actor=OPERATOR
    )


def codes(problems) -> list[str]:
    return [p.code for p in problems]


# ---------------------------------------------------------------------------------------------
# The conditions
# ---------------------------------------------------------------------------------------------


def test_it_refuses_to_form_the_working_group_a_cent_below_half_the_area_delivered(compound):
    """指导规则 第八条 / local rules "交付面积达到50%以上": 4,999.99 of 10,000 ㎡ is not enough, and
    the refusal is the table's coded problem."""
    roll(compound, "4999.99", "5000.01")
    election = first_assembly(compound)
    with pytest.raises(Refused) as refused:
        lc.working_group_form(election=election, actor=OPERATOR, on=date(2026, 2, 2))
    assert refused.value.code == "first_assembly_conditions_unmet"
    assert "49.9%" in str(refused.value) and "50%" in str(refused.value)
    assert Election.objects.get(pk=election.pk).stage == Stage.STARTED
    assert codes(lc.blockers(election)) == ["first_assembly_conditions_unmet"]


def test_it_forms_the_working_group_at_exactly_half_the_area_delivered(compound):
    """ "以上" includes the number (民法典 第1259条): 5,000.00 of 10,000.00 ㎡ qualifies."""
    roll(compound, "5000.00", "5000.00")
    election = first_assembly(compound)
    lc.working_group_form(election=election, actor=OPERATOR, on=date(2026, 2, 2))
    assert election.stage == Stage.WORKING_GROUP


def test_it_forms_the_working_group_the_day_after_two_years_from_the_first_delivery(compound):
    """Two years from a delivery on 2024-02-02 end at 24:00 on 2026-02-02 (民法典 第201条: the
    first day is not counted): refused on the anniversary, allowed the day after."""
    roll(compound, "1000.00", "9000.00")
    compound.first_delivered_on = date(2024, 2, 2)
    compound.save()
    election = first_assembly(compound)
    with pytest.raises(Refused, match="2026-02-03"):
        lc.working_group_form(election=election, actor=OPERATOR, on=date(2026, 2, 2))
    lc.working_group_form(election=election, actor=OPERATOR, on=date(2026, 2, 3))
    assert election.stage == Stage.WORKING_GROUP


def test_it_checks_no_conditions_for_a_re_election(compound):
    roll(compound, "1.00", "9999.00")
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    lc.working_group_form(election=election, actor=OPERATOR, on=date(2026, 2, 2))
    assert election.stage == Stage.WORKING_GROUP


def test_it_records_the_first_delivery_day_for_the_managing_staff_only(
    client, compound, street_staff, outsider_staff
):
    roll(compound, "1000.00", "9000.00")
    election = first_assembly(compound)
    url = reverse("manage:first_delivery", args=[election.pk])
    client.force_login(outsider_staff)
    assert client.post(url, {"first_delivered_on": "2020-01-01"}).status_code == 404
    client.force_login(street_staff)
    client.post(url, {"first_delivered_on": "2020-01-01"})
    compound.refresh_from_db()
    assert compound.first_delivered_on == date(2020, 1, 1)
    assert AuditEntry.objects.filter(action="compound.first_delivery", compound_id=compound.pk).exists()
    future = (timezone.localdate() + timedelta(days=1)).isoformat()
    client.post(url, {"first_delivered_on": future})
    compound.refresh_from_db()
    assert compound.first_delivered_on == date(2020, 1, 1)
    lc.working_group_form(election=election, actor=OPERATOR)


# ---------------------------------------------------------------------------------------------
# The street office's exception
# ---------------------------------------------------------------------------------------------


def test_it_records_the_street_offices_exception_and_then_forms_the_working_group(compound, street_staff):
    """Who, when, why and the decision: recorded once, audited, and the group may then be formed."""
    roll(compound, "1000.00", "9000.00")
    election = first_assembly(compound)
    lc.first_assembly_exception(
        election=election,
        actor=street_staff,
        on=date(2026, 1, 20),
        reason="开发商破产，业主联名申请",
        document=pdf(),
    )
    found = FirstAssemblyException.objects.get(election=election)
    assert (found.recorded_by, found.decided_on, found.reason) == (
        street_staff,
        date(2026, 1, 20),
        "开发商破产，业主联名申请",
    )
    assert found.content_type == "application/pdf" and found.document.read() == PDF
    entry = AuditEntry.objects.get(action="election.first_assembly_exception", election_id=election.pk)
    assert entry.data["delivered_area"] == "1000.00" and entry.data["sha256"] == found.sha256
    assert lc.blockers(election) != [] and "first_assembly_conditions_unmet" not in codes(
        lc.blockers(election)
    )
    lc.working_group_form(election=election, actor=street_staff, on=date(2026, 2, 2))
    assert election.stage == Stage.WORKING_GROUP


@pytest.mark.parametrize("role", ["community", "working_group", "system"])
def test_it_takes_the_exception_only_from_the_street_office(compound, role, working_group):
    roll(compound, "1000.00", "9000.00")
    election = first_assembly(compound)
    if role == "community":
        actor = UserFactory()
        grant(actor, RoleAssignment.Role.COMMUNITY_STAFF, compound.community)
    elif role == "working_group":
        actor = working_group
    else:
        actor = OPERATOR
    with pytest.raises(ElectionError, match="街道"):
        lc.first_assembly_exception(election=election, actor=actor, reason="理由", document=pdf())
    assert not FirstAssemblyException.objects.exists()


def test_it_refuses_an_exception_whose_document_is_not_a_pdf_or_an_image_whatever_its_name(
    compound, street_staff
):
    roll(compound, "1000.00", "9000.00")
    election = first_assembly(compound)
    with pytest.raises(ElectionError, match="PDF"):
        lc.first_assembly_exception(
            election=election,
            actor=street_staff,
            reason="理由",
            document=pdf("决定.pdf", b"<html>not a pdf</html>"),
        )
    assert not FirstAssemblyException.objects.exists()


def test_it_refuses_an_exception_where_none_is_needed_or_without_reason_and_document(compound, street_staff):
    roll(compound, "6000.00", "4000.00")
    election = first_assembly(compound)
    problems = table.transition("first_assembly_exception").problems(election, timezone.now(), {})
    assert codes(problems) == ["first_assembly_conditions_met", "reason_missing", "document_missing"]
    assert "first_assembly_exception" not in lc.allowed_actions(election)


def test_it_refuses_a_second_exception(compound, street_staff):
    roll(compound, "1000.00", "9000.00")
    election = first_assembly(compound)
    lc.first_assembly_exception(election=election, actor=street_staff, reason="理由", document=pdf())
    with pytest.raises(Refused) as refused:
        lc.first_assembly_exception(election=election, actor=street_staff, reason="再次", document=pdf())
    assert refused.value.code == "exception_already_recorded"


def test_it_offers_the_exception_on_the_page_with_a_file_field_and_takes_it_there(
    client, compound, street_staff
):
    roll(compound, "1000.00", "9000.00")
    election = first_assembly(compound)
    client.force_login(street_staff)
    html = client.get(reverse("manage:election", args=[election.pk])).content.decode()
    assert f'action="/manage/e/{election.pk}/do/first_assembly_exception/"' in html
    assert 'enctype="multipart/form-data"' in html and "10.0%" in html
    response = client.post(
        reverse("manage:do", args=[election.pk, "first_assembly_exception"]),
        {
            "first_assembly_exception-reason": "区房管局同意",
            "first_assembly_exception-on": "2026-01-05",
            "first_assembly_exception-document": pdf(),
        },
    )
    assert response.status_code == 302
    assert FirstAssemblyException.objects.get(election=election).decided_on == date(2026, 1, 5)
    html = client.get(reverse("manage:election", args=[election.pk])).content.decode()
    assert "区房管局同意" in html
    document = client.get(reverse("manage:exception_document", args=[election.pk]))
    assert document.status_code == 200 and document["Content-Type"] == "application/pdf"


def test_it_gives_the_api_the_conditions_code_and_takes_the_exception_as_multipart(compound, street_staff):
    roll(compound, "1000.00", "9000.00")
    election = first_assembly(compound)
    api = token_client(street_staff)
    body = api.get(f"/api/v1/elections/{election.pk}/actions/").json()
    assert [b["code"] for b in body["blockers"]] == ["first_assembly_conditions_unmet"]
    assert "first_assembly_exception" in body["allowed"]
    refused = api.post(f"/api/v1/elections/{election.pk}/actions/working_group_form/", {}, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "first_assembly_conditions_unmet"
    done = api.post(
        f"/api/v1/elections/{election.pk}/actions/first_assembly_exception/",
        {"reason": "街道决定", "document": pdf()},
        format="multipart",
    )
    assert done.status_code == 200, done.content
    assert FirstAssemblyException.objects.filter(election=election).exists()


# ---------------------------------------------------------------------------------------------
# The agenda: rules of procedure and management statute, with their drafts
# ---------------------------------------------------------------------------------------------


def ready_first_assembly(compound) -> Election:
    roll(compound, "6000.00", "4000.00")
    election = first_assembly(compound)
    lc.working_group_form(election=election, actor=OPERATOR, on=date(2026, 2, 2))
    lc.working_group_member_add(
        election=election, actor=OPERATOR, name="街道代表", affiliation="street", role="leader"
    )
    for name in ("业主甲", "业主乙"):
        lc.working_group_member_add(election=election, actor=OPERATOR, name=name, affiliation="owner")
    lc.working_group_publish(election=election, actor=OPERATOR, on=date(2026, 2, 5))
    lc.race_save(election=election, actor=OPERATOR, title="首届业主委员会委员", seats=5)
    schedule(election)
    return election


def test_it_refuses_the_first_assemblys_notice_without_the_rules_of_procedure_and_the_statute(compound):
    """民法典 第278条 第一、二项; 指导规则 第十五条: the first assembly adopts both."""
    election = ready_first_assembly(compound)
    with pytest.raises(Refused) as refused:
        lc.notice_publish(election=election, actor=OPERATOR, on=date(2026, 3, 2))
    assert codes(refused.value.problems) == ["agenda_procedure_rules_missing", "agenda_statute_missing"]
    lc.matter_save(
        election=election,
        actor=OPERATOR,
        title="业主大会议事规则",
        text="全文……",
        item=Matter.Item.PROCEDURE_RULES,
    )
    assert codes(lc.blockers(election)) == ["agenda_statute_missing"]


def test_it_needs_each_draft_as_a_document_or_its_full_text(compound):
    """指导规则 第十二条: owners read the drafts before they vote."""
    election = ready_first_assembly(compound)
    lc.matter_save(
        election=election, actor=OPERATOR, title="业主大会议事规则", item=Matter.Item.PROCEDURE_RULES
    )
    statute = lc.matter_save(election=election, actor=OPERATOR, title="管理规约", item=Matter.Item.STATUTE)
    assert codes(lc.blockers(election)) == ["draft_missing", "draft_missing"]
    lc.matter_document_add(matter=statute, actor=OPERATOR, upload=pdf("管理规约（草案）.pdf"))
    rules = election.matters.get(item=Matter.Item.PROCEDURE_RULES)
    lc.matter_save(
        election=election, matter=rules, actor=OPERATOR, title=rules.title, text="第一条……", item=1
    )
    assert lc.blockers(election) == []
    lc.notice_publish(election=election, actor=OPERATOR, on=date(2026, 3, 2))
    assert election.stage == Stage.NOTICE


def test_it_asks_a_re_election_for_no_such_agenda(compound):
    election = lc.election_create(compound=compound, title="换届", actor=OPERATOR)
    lc.working_group_form(election=election, actor=OPERATOR, on=date(2026, 2, 2))
    add_working_group(election)
    lc.working_group_publish(election=election, actor=OPERATOR, on=date(2026, 2, 5))
    lc.race_save(election=election, actor=OPERATOR, title="委员", seats=5)
    schedule(election)
    assert lc.blockers(election) == []


# ---------------------------------------------------------------------------------------------
# The working group's make-up (指导规则 第十条), per profile
# ---------------------------------------------------------------------------------------------


def test_it_refuses_to_publish_a_working_group_of_one_owner_alone(compound):
    """The issue's case: one owner alone, no leader from the street office or residents' committee."""
    election = lc.election_create(compound=compound, title="换届", actor=OPERATOR)
    lc.working_group_form(election=election, actor=OPERATOR, on=date(2026, 2, 2))
    lc.working_group_member_add(election=election, actor=OPERATOR, name="张三", affiliation="owner")
    with pytest.raises(Refused) as refused:
        lc.working_group_publish(election=election, actor=OPERATOR, on=date(2026, 2, 5))
    assert codes(refused.value.problems) == ["working_group_no_leader"]


def test_it_refuses_the_notice_when_the_published_group_became_even(compound):
    """A member added after the list was published still counts: the notice checks the make-up."""
    election = lc.election_create(compound=compound, title="换届", actor=OPERATOR)
    lc.working_group_form(election=election, actor=OPERATOR, on=date(2026, 2, 2))
    add_working_group(election)
    lc.working_group_publish(election=election, actor=OPERATOR, on=date(2026, 2, 5))
    lc.race_save(election=election, actor=OPERATOR, title="委员", seats=5)
    schedule(election)
    lc.working_group_member_add(election=election, actor=OPERATOR, name="派出所民警", affiliation="police")
    problems = lc.blockers(election)
    assert codes(problems) == ["working_group_even"]
    assert "4" in problems[0] and "指导规则 第十条" in problems[0]


def test_it_leaves_the_make_up_of_a_matters_only_vote_alone(compound):
    election = lc.election_create(
        compound=compound, title="表决", kind=Election.Kind.MATTERS_ONLY, actor=OPERATOR
    )
    lc.working_group_form(election=election, actor=OPERATOR, on=date(2026, 2, 2))
    lc.working_group_member_add(election=election, actor=OPERATOR, name="张三", affiliation="owner")
    lc.working_group_publish(election=election, actor=OPERATOR, on=date(2026, 2, 5))
    assert election.working_group_published_on == date(2026, 2, 5)


def test_it_shows_the_make_up_problems_on_the_working_group_page(client, compound, street_staff):
    election = lc.election_create(compound=compound, title="换届", actor=OPERATOR)
    lc.working_group_form(election=election, actor=OPERATOR, on=date(2026, 2, 2))
    lc.working_group_member_add(
        election=election, actor=OPERATOR, name="张三", affiliation="owner", role="leader"
    )
    lc.working_group_member_add(election=election, actor=OPERATOR, name="李四", affiliation="owner")
    client.force_login(street_staff)
    html = client.get(reverse("manage:working_group", args=[election.pk])).content.decode()
    assert "单数" in html and "居民委员会" in html


def test_it_keeps_the_make_up_out_of_the_override_form(client, compound, street_staff):
    election = lc.election_create(compound=compound, title="换届", actor=OPERATOR)
    with pytest.raises(ElectionError):
        lc.election_update_settings(
            election=election,
            actor=OPERATOR,
            overrides={"working_group_owner_percent_min": (10, "议事规则第三条")},
        )
    lc.election_update_settings(
        election=election, actor=OPERATOR, overrides={"reelection_group_days": (90, "议事规则第三条")}
    )
    assert lc.effective_profile(election).reelection_group_days.value == 90


def test_it_keeps_the_exception_for_a_restarted_first_assembly(compound, street_staff):
    """A restart calls the same assembly again: the exception recorded for the failed one stands."""
    roll(compound, "1000.00", "9000.00")
    election = first_assembly(compound)
    lc.first_assembly_exception(election=election, actor=street_staff, reason="街道决定", document=pdf())
    lc.working_group_form(election=election, actor=street_staff, on=date(2026, 2, 2))
    lc.election_fail(election=election, actor=street_staff, reason="未达法定人数")
    new = lc.election_restart(election=election, actor=street_staff, at="notice")
    assert lc.first_assembly_exception_of(new) == FirstAssemblyException.objects.get(election=election)

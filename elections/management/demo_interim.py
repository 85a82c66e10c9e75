"""The committee between elections in the demo (issue 17, RULES.md §7), loaded by ``manage.py demo``
after the compounds: a street under the 北京 profile (which provides a 物业管理委员会) with two
compounds, and the escalations the scheduler raises in the main street.

- 和平里 went the whole way: its committee's term ended (2024-06-30) with no election; the street
  office was told and ordered the election; none came, so it formed a 物管会 (filed), which organised
  the re-election; the new committee took office on 2025-10-01 and the 物管会 was dissolved. A member
  of the new committee left last month: the filing is open, the member's handover is overdue.
- 安定里 is under a 物管会 now: its term ended in June 2025, the scheduler escalated it, the street
  office formed the 物管会 through the service, and the 物管会 convened the re-election (under way).
- In 湖滨街道 the sweep escalates the compounds whose term expired long ago with no election.

Rows are made through the services where they can be (the past history of 和平里 is written as rows,
since the services refuse dates they did not see happen).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from elections import lifecycle
from elections.lifecycle.filings import due_within
from elections.lifecycle.interim import MemberSpec
from elections.models import (
    Committee,
    CommitteeDeadline,
    CommitteeMember,
    Election,
    Escalation,
    EscalationStep,
    PropertyCommittee,
    PropertyCommitteeMember,
    Stage,
)
from grids.models import Owner, RoleAssignment, Street
from grids.sample import roll_csv, roll_rows
from grids.services import compound_create, roll_file_import
from yezhu.accounts.models import User
from yezhu.actors import OPERATOR, SCHEDULER

STREET = "和平里街道"
STAFF_PHONE = "13800000006"
COMPOUNDS = [("HPL", "和平里小区", 120), ("ADL", "安定里", 90)]
RC_CHAIR = "居委会 赵主任"


def _compound(code, name, units, admin):
    compound = compound_create(
        code=code,
        name=name,
        street_name=STREET,
        community_name="和平里社区",
        address=f"北京市东城区{name}",
        actor=admin,
    )
    compound.property_manager = "首开物业"
    compound.save(update_fields=["property_manager"])
    rows = roll_rows(units, seed=units + 17, parking=0)
    roll_file_import(compound=compound, data=roll_csv(rows), filename=f"{code}.csv", actor=admin, commit=True)
    return compound


def _committee(compound, start, end, **dates):
    committee = Committee.objects.create(compound=compound, term_start=start, term_end=end, **dates)
    owners = list(Owner.objects.filter(units__compound=compound).distinct().order_by("pk")[10:17])
    roles = [CommitteeMember.Role.CHAIR, CommitteeMember.Role.VICE_CHAIR] + [CommitteeMember.Role.MEMBER] * 5
    for i, (owner, role) in enumerate(zip(owners, roles, strict=False)):
        CommitteeMember.objects.create(
            committee=committee, name=owner.name, owner=owner, role=role, position=i
        )
    return committee


def _members(compound) -> list[MemberSpec]:
    owners = list(Owner.objects.filter(units__compound=compound).distinct().order_by("pk")[30:34])
    return [
        MemberSpec(name=RC_CHAIR, residents_committee=True, chair=True, affiliation="和平里社区居委会"),
        MemberSpec(name="街道办 孙科长", affiliation="和平里街道办事处"),
        MemberSpec(name="派出所 钱警官", affiliation="和平里派出所"),
        *[MemberSpec(name=o.name, is_owner=True, owner_id=o.pk, affiliation="业主代表") for o in owners],
    ]


def _step(escalation, kind, on, told="", note=""):
    EscalationStep.objects.create(
        escalation=escalation, kind=kind, on=on, told=told, by_label="演示数据", note=note
    )


def whole_way(compound, staff):
    """和平里: expired → escalated → ordered → 物管会 → re-election → new committee → 物管会 dissolved."""
    old = _committee(
        compound,
        date(2019, 7, 1),
        date(2024, 6, 30),
        filed_on=date(2019, 7, 20),
        ended_on=date(2025, 10, 1),
        handed_over_on=date(2024, 12, 5),
    )
    body = PropertyCommittee.objects.create(
        compound=compound,
        basis=PropertyCommittee.Basis.NO_SUCCESSOR,
        formed_on=date(2024, 12, 1),
        decision_number="和街发〔2024〕41号",
        term_start=date(2024, 12, 1),
        term_end=date(2027, 11, 30),
        publicity_start=date(2024, 12, 1),
        publicity_end=date(2024, 12, 8),
        formed_by=staff,
    )
    for i, spec in enumerate(_members(compound), start=1):
        PropertyCommitteeMember.objects.create(
            property_committee=body,
            name=spec.name,
            affiliation=spec.affiliation,
            is_owner=spec.is_owner,
            owner_id=spec.owner_id,
            residents_committee=spec.residents_committee,
            chair=spec.chair,
            position=i,
        )
    CommitteeDeadline.objects.create(
        compound=compound,
        property_committee=body,
        kind=CommitteeDeadline.Kind.FILING,
        change=CommitteeDeadline.Change.PROPERTY_COMMITTEE,
        subject="物业管理委员会",
        event_on=body.formed_on,
        due_on=due_within(body.formed_on, 30),
        done_on=date(2024, 12, 20),
        done_by=staff,
    )
    escalation = Escalation.objects.create(
        compound=compound,
        reason=Escalation.Reason.TERM_EXPIRED,
        status=Escalation.Status.RESOLVED,
        committee=old,
        overdue_since=date(2024, 7, 1),
        raised_on=date(2024, 8, 30),
        resolved_on=date(2025, 3, 1),
    )
    _step(
        escalation,
        EscalationStep.Kind.RAISED,
        date(2024, 8, 30),
        told=f"{STREET}街道办事处（站内通知、短信、街道看板）",
    )
    _step(
        escalation,
        EscalationStep.Kind.ORDERED_ELECTION,
        date(2024, 9, 10),
        told=f"{RC_CHAIR}；原业委会主任",
        note="限期60日内组建换届小组",
    )
    _step(
        escalation,
        EscalationStep.Kind.FORMED_PROPERTY_COMMITTEE,
        date(2024, 12, 1),
        told="全体业主（公示至2024-12-08）",
    )
    # The re-election the 物管会 organised was held on paper before the compound used Yezhu: its
    # record is the escalation's history and the committee registered by hand.
    _step(
        escalation, EscalationStep.Kind.RESOLVED, date(2025, 3, 1), note="物管会组织的换届选举已启动（纸质）"
    )
    new = lifecycle.committee_register(
        compound=compound,
        term_start=date(2025, 10, 1),
        term_end=date(2030, 9, 30),
        filed_on=date(2025, 10, 20),
        actor=OPERATOR,
    )  # dissolves the 物管会 (the new committee took office)
    owners = list(Owner.objects.filter(units__compound=compound).distinct().order_by("pk")[40:47])
    for i, owner in enumerate(owners):
        role = CommitteeMember.Role.CHAIR if i == 0 else CommitteeMember.Role.MEMBER
        CommitteeMember.objects.create(committee=new, name=owner.name, owner=owner, role=role, position=i)
    left = owners[-1].name
    today = timezone.localdate()
    lifecycle.committee_change_recorded(
        new, "member_out", today - timedelta(days=16), actor=OPERATOR, subject=left
    )


def under_property_committee(compound, staff):
    """安定里: expired → escalated by the scheduler → 物管会 formed → re-election convened by it."""
    today = timezone.localdate()
    _committee(compound, date(2020, 7, 1), date(2025, 6, 30), filed_on=date(2020, 7, 25))
    lifecycle.escalations_sweep(actor=SCHEDULER, today=today)
    formed = today - timedelta(days=25)
    body = lifecycle.property_committee_form(
        compound=compound,
        actor=staff,
        basis=PropertyCommittee.Basis.NO_SUCCESSOR,
        formed_on=formed,
        term_start=formed,
        term_end=formed.replace(year=formed.year + 3) - timedelta(days=1),
        publicity_start=formed,
        publicity_end=formed + timedelta(days=7),
        members=_members(compound),
        decision_number="和街发〔2026〕9号",
    )
    election = lifecycle.property_committee_convene(
        property_committee=body,
        actor=staff,
        title=f"{compound.name}第二届业主委员会选举",
        kind=Election.Kind.REELECTION,
    )
    Election.objects.filter(pk=election.pk).update(
        stage=Stage.WORKING_GROUP, working_group_formed_on=today - timedelta(days=12)
    )


def load(*, admin, stdout, password: str) -> None:
    staff, _created = User.objects.get_or_create(
        phone=STAFF_PHONE, defaults={"name": "和平里街道办 孙科长", "phone_verified": True}
    )
    staff.set_password(password)
    staff.save(update_fields=["password"])
    compounds = {}
    for code, name, units in COMPOUNDS:
        stdout.write(f"导入 {name}（{units} 户，北京）…")
        compounds[code] = _compound(code, name, units, admin)
    street = Street.objects.get(name=STREET)
    street.profile = "beijing"
    street.save(update_fields=["profile"])
    RoleAssignment.objects.get_or_create(user=staff, role=RoleAssignment.Role.STREET_STAFF, street=street)
    whole_way(compounds["HPL"], staff)
    under_property_committee(compounds["ADL"], staff)
    # The scheduler's sweep as beat runs it: resolves 安定里 (its election is under way) and
    # escalates the main street's compounds whose term expired long ago.
    lifecycle.escalations_sweep(actor=SCHEDULER)

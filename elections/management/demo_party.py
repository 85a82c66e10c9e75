"""The party side of the demo street (issue 16), loaded by ``manage.py demo`` after the compounds:

- the tree filled in: posts in every branch, building party groups in 西园里 with their leaders,
  members' activity, a report confirmed and one waiting, a branch secretary's account;
- the street's gates on, the approvals of the elections under way on record, and 宝石新村's new
  election with its start approved and its working group waiting for the street office;
- the composition to roll up: two committees chaired by their branch's secretary (一肩挑);
- an issue survey run in 北山苑 by its branch, with answers, and one open in 西园里;
- visits before the vote in 东坡花园, a reserve of future candidates in 西园里;
- 北山苑's committee registered as a legal entity.

Demo data only: rows the services would make are made through them where it costs little (and
leave their audit rows); the hundreds of survey answers are inserted in bulk.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from elections import lifecycle
from elections import surveys as survey_svc
from elections.models import (
    Committee,
    CommitteeMember,
    Election,
    OutreachVisit,
    ReserveCandidate,
    Stage,
    Survey,
    SurveyResponse,
)
from elections.rules import credit_code
from grids import party
from grids.models import Compound, Owner, PartyActivity, PartyMember, PartyOrg, Street, Unit
from grids.streets import street_settings_update
from yezhu.accounts.models import User
from yezhu.actors import OPERATOR

SECRETARY_PHONE = "13800000005"
ACTIVITIES = [
    ("service", "楼道清扫、清理消防通道堆物"),
    ("visit", "走访独居老人"),
    ("meeting", "支部主题党日"),
    ("service", "协助加装电梯意见征集"),
    ("other", "调解邻里噪音纠纷"),
]


def load(street: Street, *, admin, staff, stdout) -> None:
    rng = random.Random(16)
    street_settings_update(
        street=street,
        actor=OPERATOR,
        gate_start=True,
        gate_working_group=True,
        party_share_target=Decimal("0.50"),
    )
    compounds = {c.code: c for c in Compound.objects.filter(community__street=street)}
    _approvals_on_record(compounds, staff)
    _tree(compounds, rng)
    _composition_variety(compounds)
    _one_shoulder(compounds["XYLW"])
    _one_shoulder(compounds["BSY"])
    _secretary_account(compounds["XYLW"])
    _reports(compounds["XYLW"])
    _gated_election(compounds["BSXC"], staff)
    _outreach(compounds["DPHY"], staff, rng)
    _reserve(compounds["XYLW"])
    _surveys(compounds, rng)
    _legal_entity(compounds["BSY"])
    stdout.write("党组织、问题征集、走访记录、后备人选和业委会结构已载入。")


def _approvals_on_record(compounds, staff) -> None:
    """The elections already past the gates were approved by the street office before they moved on."""
    for election in Election.objects.filter(compound__in=compounds.values()).exclude(
        working_group_formed_on=None
    ):
        formed = timezone.make_aware(datetime.combine(election.working_group_formed_on, time(9)))
        Election.objects.filter(pk=election.pk).update(
            start_approved_at=formed - timedelta(days=3),
            start_approved_by=staff,
            start_approval_note="同意启动换届。",
            working_group_approved_at=formed + timedelta(days=1, hours=10),
            working_group_approved_by=staff,
            working_group_approval_note="换届小组组成符合要求，党员占比过半。",
        )


def _tree(compounds, rng) -> None:
    """Posts in each branch; building groups with their leaders in 西园里; a year of activity."""
    today = timezone.localdate()
    for compound in compounds.values():
        branch = party.branch_of(compound)
        if branch is None:
            continue
        members = list(branch.members.order_by("pk"))
        for member, role in zip(members[1:4], ("deputy", "committee", "committee"), strict=False):
            PartyMember.objects.filter(pk=member.pk).update(role=role)
        for member in members:
            for kind, note in rng.sample(ACTIVITIES, 2):
                PartyActivity.objects.create(
                    member=member, on=today - timedelta(days=rng.randint(5, 200)), kind=kind, note=note
                )
    xylw = compounds["XYLW"]
    branch = party.branch_of(xylw)
    for building in xylw.buildings.order_by("name")[:4]:
        group = party.party_org_create(actor=OPERATOR, level=PartyOrg.Level.BUILDING, place=building)
        owners = list(
            Owner.objects.filter(units__building=building, units__status="delivered").distinct()[:3]
        )
        for i, owner in enumerate(owners):
            PartyMember.objects.create(
                org=group,
                name=owner.name,
                owner=owner,
                role="group_leader" if i == 0 else "member",
                reported_on=date(2024, 5, 1) + timedelta(days=i),
            )
    # A central household per building group: the group leader's home (and no home that is not a
    # party member's: the command's first pass marked three units only to have some).
    Unit.objects.filter(compound=xylw, central_household=True).update(central_household=False)
    leaders = PartyMember.objects.filter(org__parent=branch, role="group_leader").values("owner")
    Unit.objects.filter(compound=xylw, ownerships__owner__in=leaders).update(central_household=True)


#: (party members, cross-posted members) among the seven seated members, chair first: 西园里 is a
#: "red committee" at 71.4 % (曹杨's figure), 东坡花园 falls short of the street's 50 %.
COMPOSITION = {"XYLW": (5, 2), "BSY": (6, 2), "DPHY": (3, 1), "DQXQ": (2, 0), "HPJ": (4, 1), "BSXC": (4, 0)}


def _composition_variety(compounds) -> None:
    for code, (party_members, cross) in COMPOSITION.items():
        committee = Committee.objects.filter(compound=compounds[code], ended_on__isnull=True).first()
        for i, member in enumerate(committee.members.order_by("position", "pk")):
            CommitteeMember.objects.filter(pk=member.pk).update(
                party_member=i < party_members, cross_post=i < cross
            )


def _one_shoulder(compound) -> None:
    """The committee's chair is the branch's secretary (一肩挑) and a member sits on both (交叉任职)."""
    committee = (
        Committee.objects.filter(compound=compound, ended_on__isnull=True).order_by("-term_start").first()
    )
    chair = committee.members.get(role=CommitteeMember.Role.CHAIR)
    CommitteeMember.objects.filter(pk=chair.pk).update(
        branch_secretary=True, cross_post=True, party_member=True
    )
    secretary = party.branch_of(compound).members.get(role="secretary")
    PartyMember.objects.filter(pk=secretary.pk).update(
        owner=chair.owner, name=chair.name, reported_on=date(2023, 3, 1)
    )


def _secretary_account(compound) -> None:
    """The 西园里 branch's secretary signs in to confirm reports (printed with the demo accounts)."""
    secretary = party.branch_of(compound).members.get(role="secretary")
    user, _created = User.objects.get_or_create(
        phone=SECRETARY_PHONE, defaults={"name": f"党支部书记 {secretary.name}", "phone_verified": True}
    )
    Owner.objects.filter(pk=secretary.owner_id).update(user=user, mobile=SECRETARY_PHONE)
    PartyMember.objects.filter(pk=secretary.pk).update(user=user)


def _reports(compound) -> None:
    """Two demo owners are party members: one has reported and been confirmed, one waits."""
    owners = list(Owner.objects.filter(mobile__startswith="139000000").order_by("mobile"))
    branch = party.branch_of(compound)
    secretary = branch.members.get(role="secretary").user
    # They live here but have not reported yet: not on the branch's list before their report.
    branch.members.filter(owner__in=owners[1:3]).exclude(role="secretary").delete()
    for owner, confirm in zip(owners[1:3], (True, False), strict=False):
        unit = owner.units.filter(compound=compound).first()
        report = party.party_report_file(
            actor=owner.user, unit=unit, name=owner.name, home_org="杭州市第一人民医院党委"
        )
        if confirm:
            party.party_report_confirm(actor=secretary, report=report)


def _gated_election(compound, staff) -> None:
    """宝石新村's re-election: the street office approved its start; its working group is entered and
    waits for the street office to vet its make-up (the overview shows the blocker)."""
    election = lifecycle.election_create(
        compound=compound, title=f"{compound.name}第三届业主委员会换届选举", actor=staff, profile="hangzhou"
    )
    lifecycle.start_approve(election=election, actor=staff, note="任期将满，同意启动换届。")
    lifecycle.working_group_form(election=election, actor=staff, on=timezone.localdate() - timedelta(days=2))
    for name, affiliation, role, party_member in (
        ("赵书记", "community_party", "leader", True),
        ("钱主任", "residents_committee", "deputy", True),
        ("孙警官", "police", "member", False),
        ("李业主", "owner", "member", True),
        ("周业主", "owner", "member", False),
    ):
        lifecycle.working_group_member_add(
            election=election,
            actor=staff,
            name=name,
            affiliation=affiliation,
            role=role,
            party_member=party_member,
        )


def _outreach(compound, staff, rng) -> None:
    election = Election.objects.filter(compound=compound, stage__in=[Stage.NOMINATION]).first()
    if election is None:
        return
    units = list(Unit.objects.filter(compound=compound, ownerships__isnull=False).distinct()[:60])
    notes = {
        "supportive": ["支持换届，希望候选人公开承诺", "愿意参加业主议事会", ""],
        "concerns": ["担心物业费上涨", "不了解候选人，希望开见面会"],
        "not_home": ["不在家，已留联系卡"],
        "other": ["出租户，已联系房东"],
    }
    for unit in rng.sample(units, 40):
        outcome = rng.choices(list(notes), weights=[6, 2, 2, 1])[0]
        OutreachVisit.objects.create(
            election=election,
            unit=unit,
            visited_by=staff,
            way="visit" if outcome == "not_home" else rng.choice(["visit", "talk", "phone"]),
            outcome=outcome,
            note=rng.choice(notes[outcome]),
        )


def _reserve(compound) -> None:
    owners = list(Owner.objects.filter(units__compound=compound, units__status="delivered").distinct()[60:63])
    rows = [
        ("branch", "小区党支部", "退休教师，连续三年担任楼组长，群众威信高。", True),
        ("working_group", "换届小组 周组长", "注册会计师，可协助维修资金账目公开。", False),
        ("owners", "3号楼业主代表", "热心加装电梯工作，协调能力强。", True),
    ]
    for owner, (source, who, reason, party_member) in zip(owners, rows, strict=False):
        unit = owner.units.filter(compound=compound).first()
        ReserveCandidate.objects.create(
            compound=compound,
            name=owner.name,
            owner=owner,
            unit_code=unit.code if unit else "",
            party_member=party_member,
            source=source,
            suggested_by_name=who,
            reason=reason,
        )


def _accounts_for(owners: list[Owner], start: int) -> None:
    """Accounts for owners who have none (demo numbers 137…), so their homes can answer."""
    missing = [o for o in owners if o.user_id is None]
    users = User.objects.bulk_create(
        [User(phone=f"137{start + i:08d}", name=o.name, phone_verified=True) for i, o in enumerate(missing)]
    )
    for owner, user in zip(missing, users, strict=True):
        owner.user = user
    Owner.objects.bulk_update(missing, ["user"])


def _answer_in_bulk(survey, units, pick, rng) -> None:
    questions = list(survey.questions.order_by("position"))
    rows = []
    for unit in units:
        owner = unit.owners.order_by("pk").first()
        if owner is None or owner.user_id is None:
            continue
        rows.append(
            SurveyResponse(
                survey=survey, unit=unit, answered_by_id=owner.user_id, answers=pick(questions, rng)
            )
        )
    SurveyResponse.objects.bulk_create(rows)


def _surveys(compounds, rng) -> None:
    now = timezone.now()
    # 北山苑: the branch asked last month; most homes named the fire hazard first (璧山's survey).
    bsy = compounds["BSY"]
    survey = survey_svc.survey_create(
        compound=bsy,
        actor=OPERATOR,
        asker="branch",
        title="北山苑问题征集：小区最需要解决的问题",
        intro="党支部向各户征集意见，汇总后交业委会和物业研究解决。每户回答一次。",
        opens_at=now - timedelta(days=40),
        closes_at=now + timedelta(days=1),
    )
    options = ["消防隐患（楼道堆物、消防通道被占）", "停车难", "电梯老化", "环境卫生", "物业服务"]
    survey_svc.survey_question_add(
        survey=survey, actor=OPERATOR, kind="single", text="您认为小区最需要解决的问题是", options=options
    )
    survey_svc.survey_question_add(
        survey=survey,
        actor=OPERATOR,
        kind="multiple",
        text="您愿意参加哪些活动",
        options=["消防安全志愿巡查", "业主议事会", "楼道清理日"],
        required=False,
    )
    survey_svc.survey_question_add(
        survey=survey, actor=OPERATOR, kind="text", text="其他意见和建议", required=False
    )
    survey_svc.survey_publish(survey=survey, actor=OPERATOR)
    units = list(
        Unit.objects.filter(compound=bsy, status="delivered", ownerships__isnull=False)
        .distinct()
        .prefetch_related("owners")
    )
    _accounts_for(list(Owner.objects.filter(units__in=units).distinct()), start=10000)
    answering = rng.sample(units, int(len(units) * 0.72))
    texts = ["楼道电动车充电很危险，请尽快建集中充电棚", "消防栓多年没检查", "地下车库照明不足", "", "", ""]

    def pick_bsy(questions, r):
        first = 0 if r.random() < 0.845 else r.randint(1, 4)
        return {
            str(questions[0].pk): [first],
            str(questions[1].pk): sorted(r.sample(range(3), r.randint(0, 2))),
            **({str(questions[2].pk): t} if (t := r.choice(texts)) else {}),
        }

    _answer_in_bulk(survey, answering, pick_bsy, rng)
    Survey.objects.filter(pk=survey.pk).update(closes_at=now - timedelta(days=10))

    # 西园里: the committee asks before the re-election; open for two weeks.
    xylw = compounds["XYLW"]
    open_survey = survey_svc.survey_create(
        compound=xylw,
        actor=OPERATOR,
        asker="committee",
        title="换届前问题征集：希望新一届业委会优先做什么",
        intro="业委会在换届前听取各户意见，供新一届业委会参考。这不是业主大会表决。",
        opens_at=now - timedelta(days=2),
        closes_at=now + timedelta(days=12),
    )
    survey_svc.survey_question_add(
        survey=open_survey,
        actor=OPERATOR,
        kind="single",
        text="新一届业委会最应优先做的是",
        options=["公开维修资金账目", "更换老旧电梯", "整治停车秩序", "改善绿化"],
    )
    survey_svc.survey_question_add(
        survey=open_survey, actor=OPERATOR, kind="text", text="您对业委会的建议", required=False
    )
    survey_svc.survey_publish(survey=open_survey, actor=OPERATOR)


def _legal_entity(compound) -> None:
    committee = (
        Committee.objects.filter(compound=compound, ended_on__isnull=True).order_by("-term_start").first()
    )
    first17 = "52330106MJ2301047"
    Committee.objects.filter(pk=committee.pk).update(
        registration_number="杭西民证字第0231号",
        credit_code=first17 + credit_code.check_character(first17),
        registered_on=committee.term_start + timedelta(days=40),
        bank_name="杭州银行西湖支行",
        bank_account="3301040160012345678",
        seal_filed_on=committee.term_start + timedelta(days=50),
        seal_filing_number="西公章备字2021-0117",
    )

"""The security tests' fixture world: two streets, each with a compound built through the real roll
import, elections in several stages, and a cast of users in and out of each scope.

`build_world()` returns a `World` whose attributes the URL recipes in test_url_scoping.py read.
Street A holds everything that is probed; street B holds the outsiders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

# Markers that only street A's data carries: an outsider's page must contain none of them.
A_COMPOUND_NAME = "甲区西园里"
A_TITLES = {
    "nom": "甲区提名阶段的换届选举",
    "vote": "甲区投票中的换届选举",
    "closed": "甲区结果公示的换届选举",
}
B_COMPOUND_NAME = "乙区灵隐小区"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00"
    b"IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class World:
    users: dict = field(default_factory=dict)  # role name → User
    id_numbers: list = field(default_factory=list)  # every identity number on both rolls
    mobiles: list = field(default_factory=list)  # every mobile number on both rolls
    own_mobile: dict = field(default_factory=dict)  # user key → that user's own number
    objs: dict = field(default_factory=dict)  # name → model instance of street A

    def add(self, **objs) -> None:
        """Name more objects of street A. A name is given once: a second object under the same name
        would send a recipe to the wrong object, found only when the two ids happen to differ."""
        taken = sorted(set(objs) & set(self.objs))
        assert not taken, f"world objects named twice: {taken}"
        self.objs.update(objs)

    def __getattr__(self, name):
        try:
            return self.__dict__["objs"][name]
        except KeyError:
            raise AttributeError(name) from None


def _roll(compound, *, seed: int, actor):
    from grids.roll_file import parse_roll
    from grids.sample import roll_csv, roll_rows
    from grids.services import roll_import

    rows = roll_rows(
        24,
        seed=seed,
        floors=3,
        per_floor=2,
        entrances=2,
        unsold_share=0,
        co_owned_share=0,
        multi_unit_share=0,
        with_mobile_share=1.0,
    )
    parsed = parse_roll(roll_csv(rows), "roll.csv")
    roll_import(compound=compound, parsed=parsed, actor=actor, filename="roll.csv")
    return rows


def _owner_of(compound, code: str):
    from grids.models import Owner

    return Owner.objects.filter(units__compound=compound, units__code=code).get()


def _link(owner, name: str):
    """Give an owner of the roll an account signed in by their own mobile number."""
    from tests.factories import UserFactory

    user = UserFactory(phone=owner.mobile, name=name)
    owner.user = user
    owner.save(update_fields=["user"])
    return user


def build_world() -> World:  # noqa: PLR0915 - one long, flat recipe reads best
    from elections import services
    from elections.models import (
        Ballot,
        Candidate,
        Committee,
        CommitteeMember,
        Delivery,
        Election,
        Nomination,
        Notice,
        Objection,
        PaperEntry,
        Proxy,
        Race,
        Stage,
        VettingFlag,
        Visit,
    )
    from elections.paper import serial_for
    from elections.tasks import EXPORT_KIND
    from elections.tasks_paper import KIND as PAPER_KIND
    from grids.models import Grid, OwnerClaim, RoleAssignment
    from grids.services import compound_create
    from grids.views import UPLOAD_KIND
    from tests.factories import UserFactory, election_with_ballot_paper, grant
    from yezhu.jobs.models import Job

    Role = RoleAssignment.Role
    w = World()
    admin = UserFactory(name="系统管理员", is_superuser=True, is_staff=True)
    w.users["superuser"] = admin

    compound = compound_create(
        code="JQXY",
        name=A_COMPOUND_NAME,
        street_name="甲街道",
        community_name="甲社区",
        address="甲路1号",
        actor=admin,
    )
    other = compound_create(
        code="YQLY",
        name=B_COMPOUND_NAME,
        street_name="乙街道",
        community_name="乙社区",
        address="乙路2号",
        actor=admin,
    )
    # A neighbour in the same street: another community's compound. Its working group, community
    # staff and owners are as much outsiders to street A's compound as street B's people.
    sibling = compound_create(
        code="JQDY",
        name="甲区东园",
        street_name="甲街道",
        community_name="甲二社区",
        address="甲路9号",
        actor=admin,
    )
    rows = _roll(compound, seed=11, actor=admin) + _roll(other, seed=97, actor=admin)
    _roll(sibling, seed=41, actor=admin)
    w.id_numbers = sorted({r[9] for r in rows if r[9]})
    w.mobiles = sorted({r[8] for r in rows if r[8]})
    w.add(compound=compound, other_compound=other, street=compound.community.street)

    buildings = list(compound.buildings.order_by("name"))
    grid1 = Grid.objects.create(community=compound.community, compound=compound, name="甲一网格")
    grid1.buildings.set(buildings[:1])
    grid2 = Grid.objects.create(community=compound.community, compound=compound, name="甲二网格")
    grid2.buildings.set(buildings[1:])
    grid_b = Grid.objects.create(community=other.community, compound=other, name="乙网格")
    grid_b.buildings.set(other.buildings.all())
    w.add(grid1=grid1, grid2=grid2, building=buildings[0])

    def staff(key: str, name: str, role: str, scope, **extra):
        user = UserFactory(name=name)
        ra = grant(user, role, scope)
        if extra:
            RoleAssignment.objects.filter(pk=ra.pk).update(**extra)
        w.users[key] = user
        return user

    a_staff = staff("a_staff", "甲街道干部", Role.STREET_STAFF, compound.community.street)
    staff("a_wg", "甲换届小组", Role.WORKING_GROUP, compound)
    staff("a_leader", "甲一网格长", Role.GRID_LEADER, grid1, post=RoleAssignment.Post.GRID_LEADER)
    staff("a_leader2", "甲二网格长", Role.GRID_LEADER, grid2, post=RoleAssignment.Post.GRID_LEADER)
    staff("a_auditor", "甲审计员", Role.AUDITOR, compound.community.street)
    staff("b_staff", "乙街道干部", Role.STREET_STAFF, other.community.street)
    staff("b_leader", "乙网格长", Role.GRID_LEADER, grid_b, post=RoleAssignment.Post.GRID_LEADER)
    staff("b_auditor", "乙审计员", Role.AUDITOR, other.community.street)
    staff("s_wg", "甲区东园换届小组", Role.WORKING_GROUP, sibling)
    staff("s_community", "甲二社区干部", Role.COMMUNITY_STAFF, sibling.community)

    # Owners with accounts. Building 1 is grid 1; building 2 is grid 2.
    a_owner = _link(_owner_of(compound, "1-1-101"), "甲业主")
    a_voter = _link(_owner_of(compound, "1-1-102"), "甲已投票业主")
    a_principal = _link(_owner_of(compound, "1-1-201"), "甲委托人")
    b_owner = _link(_owner_of(other, "1-1-101"), "乙业主")
    w.users["s_owner"] = _link(_owner_of(sibling, "1-1-101"), "甲区东园业主")
    w.users.update(a_owner=a_owner, a_voter=a_voter, a_principal=a_principal, b_owner=b_owner)
    w.users["a_proxy"] = UserFactory(name="甲代理人")
    w.users["nobody"] = UserFactory(name="无关用户")
    for key in ("a_owner", "a_voter", "a_principal", "b_owner"):
        w.own_mobile[key] = w.users[key].phone
    w.add(a_owner_record=_owner_of(compound, "1-1-101"))

    # 1. An election taking nominations.
    e_nom = election_with_ballot_paper(
        compound,
        stage=Stage.NOMINATION,
        candidates=0,
        opens_in=timedelta(days=30),
        closes_in=timedelta(days=40),
    )
    Election.objects.filter(pk=e_nom.pk).update(title=A_TITLES["nom"], created_by=a_staff)
    e_nom.refresh_from_db()
    race = Race.objects.create(election=e_nom, key="R1", title="业主委员会委员", seats=3)
    nominee = _owner_of(compound, "1-1-101")
    nomination = Nomination.objects.create(
        election=e_nom,
        race=race,
        nominee=nominee,
        source=Nomination.Source.WORKING_GROUP,
        nominated_by=w.users["a_wg"],
        bio="热心公益",
    )
    nomination.photo.save("n.png", ContentFile(PNG), save=True)
    vetted = Nomination.objects.create(
        election=e_nom,
        race=race,
        nominee=_owner_of(compound, "1-2-101"),
        source=Nomination.Source.SELF,
        status=Nomination.Status.ACCEPTED,
        accepted_at=timezone.now(),
    )
    flag = VettingFlag.objects.create(nomination=vetted, kind=VettingFlag.Kind.OTHER, note="核实中")
    flag.evidence.save("e.pdf", ContentFile(PDF), save=True)
    w.add(
        e_nom=e_nom,
        matter=e_nom.matters.get(),
        race=race,
        nomination=nomination,
        vetted=vetted,
        flag=flag,
    )

    # 2. An election in its voting window, with a ballot, a proxy, a paper entry and a visit.
    e_vote = election_with_ballot_paper(compound, stage=Stage.VOTING)
    Election.objects.filter(pk=e_vote.pk).update(title=A_TITLES["vote"])
    services.roll_freeze(election=e_vote, actor=a_staff)
    e_vote.refresh_from_db()
    voters = {v.unit_codes: v for v in e_vote.voters.all()}
    ballot = services.ballot_record(
        election=e_vote,
        voter=voters["1-1-102"],
        actor=a_voter,
        cast_as=Ballot.CastAs.OWNER,
        channel=Ballot.Channel.ONLINE,
        choices={"matters": {"M1": "yes"}, "races": {"R1": ["C1"]}},
    )
    proxy = Proxy.objects.create(
        election=e_vote,
        principal=voters["1-1-201"],
        proxy_user=w.users["a_proxy"],
        proxy_name="甲代理人",
        authorised_by=a_principal,
    )
    paper_voter = voters["2-1-101"]
    entry = PaperEntry.objects.create(
        election=e_vote,
        voter=paper_voter,
        serial=serial_for(paper_voter),
        first_by=a_staff,
        first_entry={"signed": True, "choices": {"matters": {"M1": "yes"}, "races": {"R1": ["C1"]}}},
    )
    Visit.objects.create(
        election=e_vote, voter=paper_voter, visited_by=w.users["a_leader2"], outcome="visited"
    )
    notice = Notice.objects.create(
        election=e_vote,
        compound=compound,
        kind=Notice.Kind.REMINDER,
        audience=Notice.Audience.ALL_OWNERS,
        channels=["sms", "inbox"],
        title="甲区投票提醒",
        body="请尽快投票。",
        status=Notice.Status.SENT,
        sent_at=timezone.now(),
        created_by=a_staff,
    )
    Delivery.objects.create(
        notice=notice,
        channel=Delivery.Channel.INBOX,
        recipient_key=f"user:{a_owner.pk}",
        user=a_owner,
        owner=nominee,
        status=Delivery.Status.SENT,
    )
    Delivery.objects.create(
        notice=notice,
        channel=Delivery.Channel.SMS,
        recipient_key=f"owner:{nominee.pk}",
        owner=nominee,
        address=nominee.mobile,
        status=Delivery.Status.FAILED,
    )
    w.add(
        e_vote=e_vote,
        voter=voters["1-1-101"],
        voted=voters["1-1-102"],
        grid2_voter=paper_voter,
        ballot=ballot,
        proxy=proxy,
        entry=entry,
        notice=notice,
    )

    # 3. An election after the close: result notice, with an objection and a rejected ballot.
    now = timezone.now()
    e_closed = election_with_ballot_paper(
        compound, stage=Stage.VOTING, opens_in=timedelta(days=-10), closes_in=timedelta(days=-3)
    )
    Election.objects.filter(pk=e_closed.pk).update(title=A_TITLES["closed"])
    services.roll_freeze(election=e_closed, actor=a_staff)
    closed_voters = {v.unit_codes: v for v in e_closed.voters.all()}
    services.ballot_record(
        election=e_closed,
        voter=closed_voters["1-1-101"],
        actor=a_owner,
        cast_as=Ballot.CastAs.OWNER,
        channel=Ballot.Channel.ONLINE,
        choices={"matters": {"M1": "yes"}, "races": {"R1": ["C1", "C2"]}},
        now=now - timedelta(days=5),
    )
    services.ballot_record(
        election=e_closed,
        voter=closed_voters["1-1-102"],
        actor=a_staff,
        cast_as=Ballot.CastAs.PAPER,
        channel=Ballot.Channel.PAPER,
        choices={},
        status=Ballot.Status.REJECTED,
        reject_reason="未签名",
        now=now - timedelta(days=5),
    )
    e_closed.refresh_from_db()
    result = services.election_tally(e_closed)
    Election.objects.filter(pk=e_closed.pk).update(
        stage=Stage.RESULT_NOTICE,
        result=result,
        decided_on=(now - timedelta(days=3)).date(),
        result_published_on=(now - timedelta(days=2)).date(),
        objection_window_end=(now + timedelta(days=5)).date(),
    )
    e_closed.refresh_from_db()
    candidate = Candidate.objects.filter(race__election=e_closed).order_by("key").first()
    candidate.photo.save("c.png", ContentFile(PNG), save=True)
    objection = Objection.objects.create(
        election=e_closed, kind=Objection.Kind.RESULT, filed_by=a_owner, text="计票有疑问"
    )
    w.add(e_closed=e_closed, candidate=candidate, objection=objection)

    # The committee register, a claim and the background jobs of street A's staff.
    committee = Committee.objects.create(
        compound=compound, term_start=date(2021, 6, 1), term_end=date(2026, 5, 31), filed_on=date(2021, 6, 20)
    )
    member = CommitteeMember.objects.create(
        committee=committee, name="甲主任", role=CommitteeMember.Role.CHAIR
    )
    claim = OwnerClaim.objects.create(
        user=w.users["nobody"],
        unit=compound.units.get(code="2-2-301"),
        name="申请人",
        id_last4="1234",
        certificate_number="浙(2020)杭州市不动产权第0000001号",
    )
    upload_job = Job.objects.create(
        kind=UPLOAD_KIND, created_by=a_staff, compound_id=compound.pk, status=Job.Status.FAILED, params={}
    )
    paper_job = Job.objects.create(
        kind=PAPER_KIND, created_by=a_staff, compound_id=compound.pk, election_id=e_vote.pk, status="done"
    )
    export_job = Job.objects.create(
        kind=EXPORT_KIND, created_by=a_staff, compound_id=compound.pk, election_id=e_vote.pk, status="queued"
    )
    w.add(
        committee=committee,
        member=member,
        claim=claim,
        upload_job=upload_job,
        paper_job=paper_job,
        export_job=export_job,
    )
    _party_side(w, compound, a_staff)
    _first_assembly_and_proposals(w, compound, a_staff, a_owner)
    return w


def _party_side(w: World, compound, a_staff) -> None:
    """Issue 16: street A's party tree (with a member, a pending report), an open survey, a visit
    before the vote, a reserve candidate and a committee document."""
    from elections import lifecycle
    from elections import surveys as survey_svc
    from elections.models import OutreachVisit, ReserveCandidate
    from grids import party
    from grids.models import PartyOrg

    street_org = party.party_org_create(
        actor=a_staff, level=PartyOrg.Level.STREET, place=compound.community.street
    )
    party.party_org_create(actor=a_staff, level=PartyOrg.Level.COMMUNITY, place=compound.community)
    branch = party.party_org_create(actor=a_staff, level=PartyOrg.Level.COMPOUND, place=compound)
    group = party.party_org_create(actor=a_staff, level=PartyOrg.Level.BUILDING, place=w.building)
    party_member = party.party_member_save(actor=a_staff, org=branch, name="甲党员", role="committee")
    report = party.party_report_file(
        actor=w.users["a_voter"],
        unit=compound.units.get(code="1-1-102"),
        name="甲报到党员",
        home_org="某单位党支部",
    )
    now = timezone.now()
    survey = survey_svc.survey_create(
        compound=compound,
        actor=a_staff,
        asker="working_group",
        title="甲区问题征集",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=6),
    )
    question = survey_svc.survey_question_add(
        survey=survey, actor=a_staff, kind="single", text="最关心的问题", options=["消防", "停车"]
    )
    survey_svc.survey_publish(survey=survey, actor=a_staff)
    visit = OutreachVisit.objects.create(
        election=w.e_nom,
        unit=compound.units.get(code="2-1-101"),
        visited_by=w.users["a_leader2"],
        outcome="concerns",
    )
    reserve = ReserveCandidate.objects.create(
        compound=compound, name="甲后备", source="working_group", suggested_by_name="甲换届小组"
    )
    document = lifecycle.committee_document_add(
        committee=w.committee, actor=a_staff, kind="registration", file=ContentFile(PDF, name="reg.pdf")
    )
    w.add(
        street_org=street_org,
        branch=branch,
        party_group=group,
        party_member=party_member,
        party_report=report,
        survey=survey,
        question=question,
        outreach_visit=visit,
        reserve=reserve,
        committee_document=document,
        grid2_unit=compound.units.get(code="2-1-101"),
    )


def _first_assembly_and_proposals(w: World, compound, a_staff, a_owner) -> None:
    """A matter's document (on the closed election, whose notice is out), a first assembly with
    the street office's exception, and an owners' proposal with one signature."""
    from elections.models import (
        AssemblyProposal,
        Election,
        FirstAssemblyException,
        MatterDocument,
        ProposalSignature,
        Stage,
    )

    e_closed = w.e_closed
    Election.objects.filter(pk=e_closed.pk).update(notice_published_on=date.today() - timedelta(days=30))
    document = MatterDocument(
        matter=e_closed.matters.get(key="M1"),
        title="甲区维修方案",
        content_type="application/pdf",
        size=len(PDF),
        sha256="0" * 64,
    )
    document.file.save("plan.pdf", ContentFile(PDF), save=True)
    e_first = Election.objects.create(
        compound=compound, title="甲区首次业主大会", kind=Election.Kind.FIRST_ASSEMBLY, stage=Stage.STARTED
    )
    exception = FirstAssemblyException(
        election=e_first,
        decided_on=date(2026, 1, 5),
        reason="街道决定",
        content_type="application/pdf",
        sha256="1" * 64,
        recorded_by=a_staff,
    )
    exception.document.save("decision.pdf", ContentFile(PDF), save=True)
    unit = compound.units.get(code="1-1-101")
    proposal = AssemblyProposal.objects.create(
        compound=compound, title="甲区临时会议提议", text="提议全文", created_by=a_owner
    )
    ProposalSignature.objects.create(
        proposal=proposal, voter_key=unit.voter_key, unit_codes=unit.code, signed_by=a_owner
    )
    w.add(document=document, e_first=e_first, proposal=proposal)

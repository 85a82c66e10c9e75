"""`python manage.py demo`: a demo street with compounds in every stage, loaded through the real
roll import, with accounts printed so a person can sign in and try each role.

Idempotent: running it again on a database that already has the demo street does nothing.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from elections import services
from elections.choices import VALUES
from elections.management import demo_interim, demo_party
from elections.models import Ballot, CaseStep, Committee, CommitteeMember, Election, Stage, Voter
from grids.models import Grid, Owner, PartyMember, PartyOrg, RoleAssignment, Street, Unit
from grids.sample import roll_csv, roll_rows
from grids.services import compound_create, roll_file_import
from yezhu.accounts.models import User
from yezhu.site import public_url

STREET = "湖滨街道"
ADMIN_PHONE = "13800000000"
ADMIN_PASSWORD = "yezhu-demo-admin"  # noqa: S105 - printed for the demo on purpose
# Staff sign in with a password and then the SMS code (owners with the code alone): the demo's
# street office and working group accounts share one password, printed with the accounts.
STAFF_PASSWORD = "yezhu-demo-staff"  # noqa: S105 - printed for the demo on purpose
STAFF_PHONES = ("13800000001", "13800000002", "13800000004", "13800000006")

COMPOUNDS = [
    # code, name, community, units, parking, plan
    ("XYLW", "西园里", "东坡社区", 3200, 40, "voting"),
    ("DPHY", "东坡花园", "东坡社区", 400, 0, "nomination"),
    ("BSY", "北山苑", "北山社区", 300, 10, "result_notice"),
    ("HPJ", "湖畔居", "北山社区", 260, 0, "failed"),
    ("BSXC", "宝石新村", "北山社区", 220, 0, "term_ending"),
    ("DQXQ", "断桥小区", "东坡社区", 160, 0, "overdue"),
]


class Command(BaseCommand):
    help = "Load the demo street (compounds in every stage, accounts for each role)."

    def handle(self, *args, **options):
        if Street.objects.filter(name=STREET).exists():
            self.stdout.write("演示数据已存在（demo data already loaded）。")
            # A demo loaded before staff had passwords: give them one, so they can sign in.
            for user in User.objects.filter(phone__in=STAFF_PHONES):
                self.user(user.phone, user.name, password=STAFF_PASSWORD)
            self.print_accounts()
            return
        rng = random.Random(7)
        admin = User.objects.filter(phone=ADMIN_PHONE).first() or User.objects.create_superuser(
            ADMIN_PHONE, ADMIN_PASSWORD, name="系统管理员"
        )
        for code, name, community, n_units, parking, plan in COMPOUNDS:
            self.stdout.write(f"导入 {name}（{n_units} 户）…")
            compound = compound_create(
                code=code,
                name=name,
                street_name=STREET,
                community_name=community,
                address=f"杭州市西湖区{name}",
                actor=admin,
            )
            if code != "DQXQ":
                compound.property_manager = "绿城物业"
                compound.save(update_fields=["property_manager"])
            rows = roll_rows(n_units, seed=len(code) * 31 + n_units, parking=parking)
            roll_file_import(
                compound=compound, data=roll_csv(rows), filename=f"{code}.csv", actor=admin, commit=True
            )
            self.organise(compound, rng)
            getattr(self, f"plan_{plan}")(compound, admin, rng)
        self.people()
        street = Street.objects.get(name=STREET)
        demo_party.load(street, admin=admin, staff=User.objects.get(phone="13800000001"), stdout=self.stdout)
        demo_interim.load(admin=admin, stdout=self.stdout, password=STAFF_PASSWORD)
        self.stdout.write(self.style.SUCCESS("演示数据已载入。"))
        self.print_accounts()

    # -- organisation --------------------------------------------------------------------------

    def organise(self, compound, rng):
        street = compound.community.street
        street_org, _ = PartyOrg.objects.get_or_create(
            level=PartyOrg.Level.STREET, street=street, defaults={"name": f"{street.name}党工委"}
        )
        community_org, _ = PartyOrg.objects.get_or_create(
            level=PartyOrg.Level.COMMUNITY,
            community=compound.community,
            defaults={"name": f"{compound.community.name}党委", "parent": street_org},
        )
        if compound.code == "DQXQ":
            return  # no branch: shows as a coverage gap on the board
        branch = PartyOrg.objects.create(
            level=PartyOrg.Level.COMPOUND,
            compound=compound,
            name=f"{compound.name}党支部",
            parent=community_org,
        )
        owners = list(Owner.objects.filter(units__compound=compound).distinct()[:12])
        for i, owner in enumerate(owners[:8]):
            PartyMember.objects.create(
                org=branch,
                name=owner.name,
                owner=owner,
                role=PartyMember.Role.SECRETARY if i == 0 else PartyMember.Role.MEMBER,
                reported_on=date(2024, 3, 1) + timedelta(days=i),
            )
        buildings = list(compound.buildings.order_by("name"))
        for i in range(0, len(buildings), 2):
            grid = Grid.objects.create(
                community=compound.community, compound=compound, name=f"{compound.name}第{i // 2 + 1}网格"
            )
            grid.buildings.set(buildings[i : i + 2])
        Unit.objects.filter(pk__in=Unit.objects.filter(compound=compound).values("pk")[:3]).update(
            central_household=True
        )

    # -- plans ---------------------------------------------------------------------------------

    def _election(self, compound, admin, *, stage, opens, closes, kind=Election.Kind.REELECTION, title=None):
        election = Election.objects.create(
            compound=compound,
            title=title or f"{compound.name}第三届业主委员会换届选举",
            kind=kind,
            stage=Stage.STARTED,
            profile="hangzhou",
            working_group_formed_on=(opens - timedelta(days=60)).date(),
            working_group_published_on=(opens - timedelta(days=57)).date(),
            notice_published_on=(opens - timedelta(days=20)).date(),
            candidate_notice_start=(opens - timedelta(days=27)).date(),
            candidate_notice_end=(opens - timedelta(days=18)).date(),
            voting_opens_at=opens,
            voting_closes_at=closes,
            created_by=admin,
        )
        from elections.models import Candidate, Matter, Race

        Matter.objects.create(
            election=election,
            key="M1",
            title="修订《业主大会议事规则》",
            text="拟将业主委员会任期由三年调整为五年，其余条款不变。修订稿全文已在小区公告栏公示。",
            item=Matter.Item.PROCEDURE_RULES,
            position=1,
        )
        Matter.objects.create(
            election=election,
            key="M2",
            title="续聘绿城物业为本小区物业服务企业",
            text="续聘期三年，物业服务费标准不变。",
            item=Matter.Item.PROPERTY_MANAGER,
            position=2,
        )
        Matter.objects.create(
            election=election,
            key="M3",
            title="使用专项维修资金更换 3 号楼电梯",
            text="预算 68 万元，从 3 号楼专项维修资金中列支。",
            item=Matter.Item.USE_FUND,
            position=3,
        )
        race = Race.objects.create(election=election, key="R1", title="业主委员会委员", seats=7, position=1)
        owners = list(
            Owner.objects.filter(units__compound=compound, units__status="delivered").distinct()[20:29]
        )
        jobs = [
            "退休教师",
            "社区志愿者",
            "工程师",
            "会计",
            "律师",
            "退休干部",
            "医生",
            "个体经营",
            "退休工人",
        ]
        for i, owner in enumerate(owners, start=1):
            Candidate.objects.create(
                race=race,
                key=f"C{i}",
                name=owner.name,
                owner=owner,
                bio=f"{jobs[i - 1]}，在本小区居住{5 + i}年，热心公益，愿意为业主服务。",
                party_member=i % 2 == 1,
                branch_member=i in (1, 3),
                birth_year=1950 + i * 3,
                occupation=jobs[i - 1],
                position=i,
            )
        return election

    def _vote(self, election, rng, share, admin, *, favour=0.8):
        voters = list(Voter.objects.filter(election=election).order_by("?"))
        voters = voters[: int(len(voters) * share)]
        candidates = [c.key for c in election.races.get(key="R1").candidates.all()]
        popular = candidates[:7]
        for voter in voters:
            choices = {
                "matters": {
                    m: rng.choices(list(VALUES), weights=[favour, 1 - favour, 0.05])[0]
                    for m in ("M1", "M2", "M3")
                },
                "races": {
                    "R1": rng.sample(popular if rng.random() < favour else candidates, rng.randint(4, 7))
                },
            }
            services.ballot_record(
                election=election,
                voter=voter,
                actor=admin,
                cast_as=Ballot.CastAs.PAPER,
                channel=Ballot.Channel.PAPER,
                choices=choices,
                paper_serial=f"D{voter.pk}",
            )

    def plan_voting(self, compound, admin, rng):
        now = timezone.now()
        election = self._election(
            compound, admin, stage=Stage.VOTING, opens=now - timedelta(days=5), closes=now + timedelta(days=9)
        )
        services.roll_freeze(election=election, actor=admin)
        Election.objects.filter(pk=election.pk).update(stage=Stage.VOTING)
        election.refresh_from_db()
        self._vote(election, rng, 0.35, admin)
        self.sitting_committee(compound, date(2021, 6, 1), date(2026, 5, 31))

    def plan_nomination(self, compound, admin, rng):
        now = timezone.now()
        election = self._election(
            compound,
            admin,
            stage=Stage.NOMINATION,
            opens=now + timedelta(days=30),
            closes=now + timedelta(days=44),
        )
        election.races.get(key="R1").candidates.all().delete()
        Election.objects.filter(pk=election.pk).update(
            stage=Stage.NOMINATION,
            candidate_notice_start=None,
            candidate_notice_end=None,
            notice_published_on=None,
        )
        self.sitting_committee(compound, date(2021, 12, 1), date(2026, 11, 30))

    def plan_result_notice(self, compound, admin, rng):
        now = timezone.now()
        election = self._election(
            compound,
            admin,
            stage=Stage.VOTING,
            opens=now - timedelta(days=20),
            closes=now - timedelta(days=3),
        )
        services.roll_freeze(election=election, actor=admin)
        self._vote(election, rng, 0.82, admin, favour=0.9)
        result = services.election_tally(election)
        Election.objects.filter(pk=election.pk).update(
            stage=Stage.RESULT_NOTICE,
            result=result,
            decided_on=(now - timedelta(days=3)).date(),
            result_published_on=(now - timedelta(days=2)).date(),
            objection_window_end=(now + timedelta(days=5)).date(),
        )
        self.sitting_committee(compound, date(2021, 9, 1), date(2026, 8, 31))

    def plan_failed(self, compound, admin, rng):
        now = timezone.now()
        election = self._election(
            compound,
            admin,
            stage=Stage.VOTING,
            opens=now - timedelta(days=40),
            closes=now - timedelta(days=26),
        )
        services.roll_freeze(election=election, actor=admin)
        self._vote(election, rng, 0.48, admin)
        result = services.election_tally(election)
        Election.objects.filter(pk=election.pk).update(
            stage=Stage.FAILED,
            result=result,
            decided_on=(now - timedelta(days=26)).date(),
            failed_reason="参与表决的业主人数和专有部分面积均未达到三分之二，表决未成功。",
        )
        steps = [
            ("楼组长反映大量业主不知道投票渠道", "网格长"),
            ("两个月内参与率达到 80% 以上", "换届小组组长"),
            ("出租户多、老年业主不会线上投票、对候选人不了解", "社区党委"),
            ("党员楼组长分片上门，设立周末现场投票点，候选人见面会", "小区党支部"),
            ("", "网格长"),
            ("", "街道"),
        ]
        for i, (notes, who) in enumerate(steps, start=1):
            CaseStep.objects.create(
                election=election,
                step=i,
                responsible=who,
                due_on=(now + timedelta(days=7 * i)).date(),
                done_on=(now - timedelta(days=20 - i * 4)).date() if notes and i <= 4 else None,
                notes=notes,
            )
        self.sitting_committee(compound, date(2020, 10, 1), date(2025, 9, 30))

    def plan_term_ending(self, compound, admin, rng):
        today = timezone.localdate()
        self.sitting_committee(
            compound, today.replace(year=today.year - 5) + timedelta(days=60), today + timedelta(days=59)
        )

    def plan_overdue(self, compound, admin, rng):
        self.sitting_committee(compound, date(2019, 4, 1), date(2024, 3, 31))

    def sitting_committee(self, compound, start, end):
        committee = Committee.objects.create(
            compound=compound,
            term_start=start,
            term_end=end,
            filed_on=start + timedelta(days=20),
            first_meeting_on=start + timedelta(days=5),
        )
        owners = list(Owner.objects.filter(units__compound=compound).distinct()[40:47])
        roles = [CommitteeMember.Role.CHAIR, CommitteeMember.Role.VICE_CHAIR] + [
            CommitteeMember.Role.MEMBER
        ] * 5
        for i, (owner, role) in enumerate(zip(owners, roles, strict=False)):
            CommitteeMember.objects.create(
                committee=committee,
                name=owner.name,
                owner=owner,
                role=role,
                party_member=i < 4,
                cross_post=i == 0,
                position=i,
            )

    # -- people --------------------------------------------------------------------------------

    def people(self):
        street = Street.objects.get(name=STREET)
        xylw = street.communities.get(name="东坡社区").compounds.get(code="XYLW")
        staff = self.user("13800000001", "街道办 陈主任", password=STAFF_PASSWORD)
        RoleAssignment.objects.get_or_create(user=staff, role=RoleAssignment.Role.STREET_STAFF, street=street)
        wg = self.user("13800000002", "换届小组 周组长", password=STAFF_PASSWORD)
        RoleAssignment.objects.get_or_create(user=wg, role=RoleAssignment.Role.WORKING_GROUP, compound=xylw)
        wg2 = self.user("13800000004", "换届小组 吴委员", password=STAFF_PASSWORD)
        RoleAssignment.objects.get_or_create(user=wg2, role=RoleAssignment.Role.WORKING_GROUP, compound=xylw)
        leader = self.user("13800000003", "网格长 刘阿姨")
        grid = Grid.objects.filter(compound=xylw).order_by("pk").first()
        RoleAssignment.objects.get_or_create(
            user=leader, role=RoleAssignment.Role.GRID_LEADER, grid=grid, post=RoleAssignment.Post.GRID_LEADER
        )
        election = Election.objects.get(compound=xylw)
        voted = set(Ballot.objects.filter(election=election).values_list("voter__key", flat=True))
        owners = []
        for owner in (
            Owner.objects.filter(units__compound=xylw, units__status="delivered").distinct().order_by("pk")
        ):
            keys = set(owner.units.values_list("voter_key", flat=True))
            if keys & voted:
                continue
            owners.append(owner)
            if len(owners) == 3:
                break
        for i, owner in enumerate(owners, start=1):
            phone = f"1390000000{i}"
            Owner.objects.filter(pk=owner.pk).update(mobile=phone, user=self.user(phone, owner.name))

    def user(self, phone, name, password=None):
        user, _ = User.objects.get_or_create(phone=phone, defaults={"name": name, "phone_verified": True})
        if password and not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        return user

    def print_accounts(self):
        owners = Owner.objects.filter(mobile__startswith="139000000").order_by("mobile")
        lines = [
            "",
            "演示账号（验证码打印在运行本程序的终端里）：",
            f"  管理员      {ADMIN_PHONE}  密码 {ADMIN_PASSWORD} → 工作人员登录 /accounts/login/，再输验证码 → /admin/ 后台",
            f"  街道办      13800000001  密码 {STAFF_PASSWORD} → 工作人员登录，再输验证码 → /street/ 街道看板",
            f"  换届小组    13800000002、13800000004  密码 {STAFF_PASSWORD} → 工作人员登录，再输验证码 → /manage/（西园里）",
            "  网格长      13800000003  只用验证码 → 业主登录 /accounts/login/code/ → /grid/ 催票",
            f"  党支部书记  {demo_party.SECRETARY_PHONE}  只用验证码 → /party/ 西园里党支部：确认党员报到、后备人选",
            "  街道办还可看：/party/ 党组织、/street/composition/ 业委会结构、/street/settings/ 三关设置",
            f"  北京街道办  {demo_interim.STAFF_PHONE}  密码 {STAFF_PASSWORD} → /street/ 和平里街道：物管会、变更备案、督办",
        ]
        for owner in owners:
            units = ", ".join(owner.units.values_list("code", flat=True))
            lines.append(
                f"  业主        {owner.mobile}  只用验证码 → 业主登录 → 首页投票、问题征集、党员报到（{owner.name}，西园里 {units}）"
            )
        lines.append(f"打开 {public_url('/')}")
        self.stdout.write("\n".join(lines))

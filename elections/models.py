"""Elections (选举) and assembly votes (业主大会表决) of one compound.

An `Election` carries its stage in the statutory process, its rules (quorum, profile and the
overrides its rules of procedure make), its key dates, and a frozen copy of the statutory roll
(`Voter`, one row per voter of RULES.md §1) taken when voting opens. A `Ballot` belongs to one
voter; the database allows one valid ballot per voter (a partial unique constraint) and every
ballot is chained into a hash chain whose head is published with the result.
"""

from __future__ import annotations

import uuid
from fractions import Fraction

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.lookups import GreaterThanOrEqual
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from elections.rules import documents as document_kinds
from grids.models import Compound, Owner, Unit
from yezhu.text import NameField


class Stage(models.TextChoices):
    """Where an election stands in the statutory process."""

    STARTED = "started", _("started")  # 启动
    WORKING_GROUP = "working_group", _("working group formed")  # 筹备组/换届小组成立
    NOTICE = "notice", _("assembly notice")  # 公告
    NOMINATION = "nomination", _("nominations")  # 候选人推荐/自荐
    VETTING = "vetting", _("vetting")  # 资格审查
    CANDIDATE_NOTICE = "candidate_notice", _("candidate notice")  # 候选人公示
    VOTING = "voting", _("voting")  # 投票
    COUNTING = "counting", _("counting")  # 计票
    RESULT_NOTICE = "result_notice", _("result notice")  # 结果公示 (询异)
    FILING = "filing", _("filing")  # 备案
    DONE = "done", _("done")  # 完成
    FAILED = "failed", _("not successful")  # 未成功


class Secrecy(models.TextChoices):
    """Secret (不记名) or named (记名) voting, as an election's rules of procedure say."""

    SECRET = "secret", _("secret ballot (不记名)")
    NAMED = "named", _("named ballot (记名)")


class Election(models.Model):
    Secrecy = Secrecy

    class Kind(models.TextChoices):
        FIRST_ASSEMBLY = "first_assembly", _("first owners' assembly")  # 首次业主大会
        REELECTION = "reelection", _("re-election")  # 换届选举
        BY_ELECTION = "by_election", _("by-election")  # 补选
        MATTERS_ONLY = "matters_only", _("matters only")  # 仅表决事项

    compound = models.ForeignKey(
        Compound, on_delete=models.PROTECT, related_name="elections", verbose_name=_("compound")
    )
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.REELECTION)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.STARTED)

    # Rules: statutory defaults; the rules of procedure (议事规则) may differ (RULES.md §5). The
    # quorum and the two thresholds are floors of 民法典 第278条: raised, never lowered (the check
    # constraints below hold that for every door, the admin included). An ordinary matter (and a
    # candidate) needs more than ordinary_*, a special matter at least special_*.
    quorum_numerator = models.PositiveSmallIntegerField(_("quorum numerator"), default=2)
    quorum_denominator = models.PositiveSmallIntegerField(_("quorum denominator"), default=3)
    ordinary_numerator = models.PositiveSmallIntegerField(_("ordinary threshold numerator"), default=1)
    ordinary_denominator = models.PositiveSmallIntegerField(_("ordinary threshold denominator"), default=2)
    special_numerator = models.PositiveSmallIntegerField(_("special threshold numerator"), default=3)
    special_denominator = models.PositiveSmallIntegerField(_("special threshold denominator"), default=4)
    profile = models.CharField(_("regional profile"), max_length=20, default="national")
    rule_overrides = models.JSONField(
        _("overrides by the rules of procedure"),
        default=dict,
        blank=True,
        help_text=_('{"rule name": {"value": …, "reason": "…"}}'),
    )
    proxy_limit = models.PositiveSmallIntegerField(
        _("principals per proxy"), default=3, validators=[MinValueValidator(1)]
    )
    nominations_required = models.PositiveSmallIntegerField(
        _("owners needed to recommend a candidate"), default=1, validators=[MinValueValidator(1)]
    )
    silent_majority = models.BooleanField(
        _("silent owners counted with the majority"), default=False
    )  # 未参与表决的投票权数计入已表决的多数票 (指导规则 26)
    # 不记名 (secret, the default) or 记名 (named), as the rules of procedure say: who may pair a
    # home with its choices (docs/security.md "Secret and named voting").
    ballot_secrecy = models.CharField(
        _("voting"),
        max_length=10,
        choices=Secrecy.choices,
        default=Secrecy.SECRET,
        help_text=_(
            "Secret: nobody but the owner can tell how a home voted; the per-ballot record goes only "
            "to the scrutineers and the street office. Named: owners may see each home's choices."
        ),
    )
    temporary_meeting = models.BooleanField(_("temporary meeting"), default=False)  # 临时会议
    # An election organised (an assembly convened) by the street office's 物业管理委员会 in the interim.
    property_committee = models.ForeignKey(
        "elections.PropertyCommittee",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="elections",
        verbose_name=_("organised by the property management committee"),
    )

    class MeetingForm(models.TextChoices):  # 物业管理条例 第12条
        WRITTEN = "written", _("written consultation")  # 书面征求意见
        COLLECTIVE = "collective", _("meeting held as collective discussion")  # 集体讨论

    meeting_form = models.CharField(
        _("form of the assembly meeting"),
        max_length=12,
        choices=MeetingForm.choices,
        default=MeetingForm.WRITTEN,
    )

    # Key dates (the timeline computes deadlines from these).
    working_group_formed_on = models.DateField(_("working group formed"), null=True, blank=True)
    working_group_published_on = models.DateField(_("working group published"), null=True, blank=True)
    notice_published_on = models.DateField(_("assembly notice published"), null=True, blank=True)
    candidate_notice_start = models.DateField(_("candidate notice from"), null=True, blank=True)
    candidate_notice_end = models.DateField(_("candidate notice until"), null=True, blank=True)
    voting_opens_at = models.DateTimeField(_("voting opens"), null=True, blank=True)
    voting_closes_at = models.DateTimeField(_("voting closes"), null=True, blank=True)
    decided_on = models.DateField(_("tallied on"), null=True, blank=True)
    result_published_on = models.DateField(_("result published"), null=True, blank=True)
    objection_window_end = models.DateField(_("objection window ends"), null=True, blank=True)
    filed_on = models.DateField(_("filed on"), null=True, blank=True)

    # The street office's approvals (三关), where the street's settings ask for them: who and when.
    start_approved_at = models.DateTimeField(_("start approved by the street office"), null=True, blank=True)
    start_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("start approved by"),
    )
    start_approval_note = models.CharField(
        _("street office's opinion on the start"), max_length=300, blank=True
    )
    working_group_approved_at = models.DateTimeField(
        _("working group approved by the street office"), null=True, blank=True
    )
    working_group_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("working group approved by"),
    )
    working_group_approval_note = models.CharField(
        _("street office's opinion on the working group"), max_length=300, blank=True
    )

    # The frozen roll and the result.
    roll_frozen_at = models.DateTimeField(_("roll frozen"), null=True, blank=True)
    # The key of the paper ballots' serial checks (elections/paper.py), made when the roll is
    # frozen: kept here rather than derived from SECRET_KEY, so rotating that key mid-vote leaves
    # the printed ballots valid.
    paper_key = models.CharField(
        max_length=64, blank=True, editable=False, verbose_name=_("paper ballot key")
    )
    total_area = models.DecimalField(_("total area"), max_digits=14, decimal_places=2, null=True, blank=True)
    total_heads = models.PositiveIntegerField(_("total heads"), null=True, blank=True)
    chain_head = models.CharField(_("ballot chain head"), max_length=64, blank=True)
    ballot_count = models.PositiveIntegerField(default=0, verbose_name=_("ballot count"))
    result = models.JSONField(_("result"), null=True, blank=True)
    result_final = models.BooleanField(_("result final"), default=False)
    failed_reason = models.CharField(_("why it did not succeed"), max_length=300, blank=True)
    restart_count = models.PositiveSmallIntegerField(_("restarts"), default=0)

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("election")
        verbose_name_plural = _("elections")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quorum_numerator__gt=0, quorum_numerator__lte=models.F("quorum_denominator")),
                name="election_quorum_is_a_fraction",
            ),
            # 民法典 第278条: at least two-thirds take part; 3·n ≥ 2·d, exact in integers.
            models.CheckConstraint(
                condition=GreaterThanOrEqual(
                    models.F("quorum_numerator") * 3, models.F("quorum_denominator") * 2
                ),
                name="election_quorum_statutory_floor",
                violation_error_message=_(
                    "The quorum may be raised, never lowered below two-thirds (民法典 第278条)."
                ),
            ),
            # More than half (过半数): the threshold is at least 1/2 and below 1 (nothing passes "more than all").
            models.CheckConstraint(
                condition=GreaterThanOrEqual(
                    models.F("ordinary_numerator") * 2, models.F("ordinary_denominator")
                )
                & Q(ordinary_numerator__lt=models.F("ordinary_denominator")),
                name="election_ordinary_statutory_floor",
                violation_error_message=_(
                    "The threshold of ordinary matters may be raised, never lowered below more than half "
                    "(民法典 第278条)."
                ),
            ),
            # Three-quarters or more (四分之三以上): 4·n ≥ 3·d, and at most all.
            models.CheckConstraint(
                condition=GreaterThanOrEqual(
                    models.F("special_numerator") * 4, models.F("special_denominator") * 3
                )
                & Q(special_numerator__gt=0, special_numerator__lte=models.F("special_denominator")),
                name="election_special_statutory_floor",
                violation_error_message=_(
                    "The threshold of special matters may be raised, never lowered below three-quarters "
                    "(民法典 第278条)."
                ),
            ),
            models.CheckConstraint(
                condition=Q(voting_opens_at__isnull=True)
                | Q(voting_closes_at__isnull=True)
                | Q(voting_closes_at__gt=models.F("voting_opens_at")),
                name="election_window_ordered",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("elections:detail", args=[self.pk])

    @property
    def quorum(self) -> Fraction:
        return Fraction(self.quorum_numerator, self.quorum_denominator)

    @property
    def ordinary_threshold(self) -> Fraction:
        """An ordinary matter or a candidate needs more than this share (过半数 by default)."""
        return Fraction(self.ordinary_numerator, self.ordinary_denominator)

    @property
    def special_threshold(self) -> Fraction:
        """A special matter needs at least this share (四分之三以上 by default)."""
        return Fraction(self.special_numerator, self.special_denominator)

    @property
    def is_open_stage(self) -> bool:
        return self.stage not in (Stage.DONE, Stage.FAILED)

    def voting_is_open(self, now) -> bool:
        return (
            self.stage == Stage.VOTING
            and self.voting_opens_at is not None
            and self.voting_closes_at is not None
            and self.voting_opens_at <= now < self.voting_closes_at
        )

    @property
    def is_secret(self) -> bool:
        return self.ballot_secrecy != Secrecy.NAMED

    def results_public(self) -> bool:
        """After the close the result and the ballot board are published (never before)."""
        return self.result is not None and self.stage in (
            Stage.RESULT_NOTICE,
            Stage.FILING,
            Stage.DONE,
            Stage.FAILED,
        )


class Matter(models.Model):  # 表决事项
    class Category(models.TextChoices):
        ORDINARY = "ordinary", _("ordinary (more than half)")  # 一般事项
        SPECIAL = "special", _("special (three-quarters)")  # 重大事项 (278 (6)–(8))

    class Item(models.IntegerChoices):  # 民法典 第278条 的九项
        PROCEDURE_RULES = 1, _("rules of procedure of the assembly")
        STATUTE = 2, _("management statute")
        COMMITTEE = 3, _("electing or replacing committee members")
        PROPERTY_MANAGER = 4, _("hiring or dismissing the property manager")
        USE_FUND = 5, _("using the maintenance fund")
        RAISE_FUND = 6, _("raising the maintenance fund")
        REBUILD = 7, _("rebuilding or reconstructing buildings and facilities")
        CHANGE_USE = 8, _("changing the use of common parts or using them for business")
        OTHER = 9, _("other major matters")

    SPECIAL_ITEMS = (Item.RAISE_FUND, Item.REBUILD, Item.CHANGE_USE)

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="matters", verbose_name=_("election")
    )
    key = models.CharField(_("key"), max_length=10)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("full text"), blank=True)
    item = models.PositiveSmallIntegerField(_("statutory item"), choices=Item.choices, default=Item.OTHER)
    category = models.CharField(
        _("threshold"), max_length=10, choices=Category.choices, default=Category.ORDINARY
    )
    position = models.PositiveSmallIntegerField(_("display order"), default=0)

    class Meta:
        verbose_name = _("matter")
        verbose_name_plural = _("matters")
        ordering = ["election", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["election", "key"], name="matter_unique_key")]

    def __str__(self):
        return self.title


def document_path(instance, filename: str) -> str:
    """Where an uploaded document is stored: a random name with the extension of the kind its
    content was found to be (never the uploaded name, which may say anything)."""
    folder = getattr(instance, "UPLOAD_FOLDER", "documents")
    return f"{folder}/{uuid.uuid4().hex}{getattr(instance, '_extension', '')}"


class MatterDocument(models.Model):  # 表决事项的附件: 草案、报价、预算 (PDF or images)
    UPLOAD_FOLDER = "matters"

    matter = models.ForeignKey(
        Matter, on_delete=models.CASCADE, related_name="documents", verbose_name=_("matter")
    )
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to=document_path)
    content_type = models.CharField(
        max_length=40, verbose_name=_("content type")
    )  # told by the content (elections.rules.documents)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64, verbose_name=_("SHA-256 checksum"))
    original_name = models.CharField(_("uploaded file name"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("display order"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("matter document")
        verbose_name_plural = _("matter documents")
        ordering = ["matter", "position", "id"]

    def __str__(self):
        return self.title

    @property
    def description(self) -> str:
        """What the link says beside the title: "PDF · 1.2 MB"."""
        kind = next((k for k in document_kinds.KINDS.values() if k.content_type == self.content_type), None)
        return f"{kind.label if kind else self.content_type} · {document_kinds.human_size(self.size)}"


class Race(models.Model):  # 选举 (差额/等额): electing `seats` members from candidates
    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="races", verbose_name=_("election")
    )
    key = models.CharField(_("key"), max_length=10)
    title = models.CharField(_("title"), max_length=200, default=_("Owners' committee members"))
    seats = models.PositiveSmallIntegerField(
        _("seats"), validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    alternates = models.PositiveSmallIntegerField(_("alternate members"), default=0)  # 候补委员
    position = models.PositiveSmallIntegerField(_("display order"), default=0)

    class Meta:
        verbose_name = _("race")
        verbose_name_plural = _("races")
        ordering = ["election", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["election", "key"], name="race_unique_key")]

    def __str__(self):
        return self.title


class Candidate(models.Model):  # 候选人
    race = models.ForeignKey(
        Race, on_delete=models.CASCADE, related_name="candidates", verbose_name=_("race")
    )
    key = models.CharField(_("key"), max_length=10)
    name = NameField(_("name"), max_length=60)
    owner = models.ForeignKey(
        Owner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="candidacies",
        verbose_name=_("owner"),
    )
    nomination = models.OneToOneField(
        "Nomination",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="candidate",
        verbose_name=_("nomination"),
    )
    bio = models.TextField(_("biography"), blank=True)
    photo = models.FileField(_("photo"), upload_to="candidates/", blank=True)
    party_member = models.BooleanField(_("party member"), default=False)
    branch_member = models.BooleanField(_("member of the compound party branch"), default=False)  # 交叉任职
    branch_secretary = models.BooleanField(
        _("secretary of the compound party branch"), default=False
    )  # 一肩挑
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    occupation = models.CharField(_("occupation"), max_length=60, blank=True)
    position = models.PositiveSmallIntegerField(_("display order"), default=0)

    class Meta:
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        ordering = ["race", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["race", "key"], name="candidate_unique_key")]

    def __str__(self):
        return self.name


class WorkingGroupMember(models.Model):  # 筹备组/换届小组成员
    class Affiliation(models.TextChoices):
        STREET = "street", _("street office")  # 街道
        COMMUNITY_PARTY = "community_party", _("community party committee")  # 社区党委
        RESIDENTS_COMMITTEE = "residents_committee", _("residents' committee")  # 居委会
        OWNER = "owner", _("owners' representative")  # 业主代表
        POLICE = "police", _("police station")  # 派出所
        PROPERTY = "property", _("property manager (observer)")  # 物业 (列席)
        OTHER = "other", _("other")

    class Role(models.TextChoices):
        LEADER = "leader", _("leader")  # 组长
        DEPUTY = "deputy", _("deputy leader")  # 副组长
        MEMBER = "member", _("group member")  # 成员

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="working_group", verbose_name=_("election")
    )
    name = NameField(_("name"), max_length=60)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    owner = models.ForeignKey(
        Owner, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("owner")
    )
    affiliation = models.CharField(_("affiliation"), max_length=20, choices=Affiliation.choices)
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    party_member = models.BooleanField(_("party member"), default=False)

    class Meta:
        verbose_name = _("working group member")
        verbose_name_plural = _("working group members")
        ordering = ["election", "role", "id"]

    def __str__(self):
        return self.name


class FirstAssemblyException(models.Model):
    """The street office's recorded decision to call a first assembly whose conditions are not met
    (首次业主大会召开条件的例外): who recorded it, the day of the decision, why, and the document."""

    UPLOAD_FOLDER = "exceptions"

    election = models.OneToOneField(
        Election,
        on_delete=models.CASCADE,
        related_name="first_assembly_exception",
        verbose_name=_("election"),
    )
    decided_on = models.DateField(_("decided on"))
    reason = models.CharField(_("reason"), max_length=300)
    document = models.FileField(_("decision document"), upload_to=document_path)
    content_type = models.CharField(max_length=40, verbose_name=_("content type"))
    sha256 = models.CharField(max_length=64, verbose_name=_("SHA-256 checksum"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("first assembly exception")
        verbose_name_plural = _("first assembly exceptions")

    def __str__(self):
        return f"{self.election} ({self.decided_on})"


class Nomination(models.Model):  # 候选人推荐/自荐 and 资格审查
    class Source(models.TextChoices):
        SELF = "self", _("self-nomination")  # 自荐
        OWNERS = "owners", _("recommended by owners")  # 业主推荐
        WORKING_GROUP = "working_group", _("recommended by the working group")  # 筹备组推荐
        PARTY = "party", _("recommended by the party organisation")  # 组织推荐
        PAPER = "paper", _("received on paper")  # 纸质推荐表

    class Status(models.TextChoices):
        AWAITING_ACCEPTANCE = "awaiting", _("awaiting the nominee's acceptance")
        DECLINED = "declined", _("declined by the nominee")
        ACCEPTED = "accepted", _("accepted, to be vetted")
        APPROVED = "approved", _("approved as candidate")
        REJECTED = "rejected", _("not approved")
        WITHDRAWN = "withdrawn", _("withdrawn")

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="nominations", verbose_name=_("election")
    )
    race = models.ForeignKey(
        Race, on_delete=models.CASCADE, related_name="nominations", verbose_name=_("race")
    )
    nominee = models.ForeignKey(
        Owner, on_delete=models.PROTECT, related_name="nominations", verbose_name=_("nominee")
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("nominated by"),
    )
    supporters = models.ManyToManyField(
        Owner, blank=True, related_name="supported_nominations", verbose_name=_("supporters")
    )
    statement = models.TextField(_("statement"), blank=True)
    bio = models.TextField(_("biography"), blank=True)
    photo = models.FileField(_("photo"), upload_to="candidates/", blank=True)
    party_member = models.BooleanField(_("party member"), default=False)
    branch_member = models.BooleanField(_("member of the compound party branch"), default=False)
    branch_secretary = models.BooleanField(_("secretary of the compound party branch"), default=False)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    occupation = models.CharField(_("occupation"), max_length=60, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.AWAITING_ACCEPTANCE
    )
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)  # 个人意愿
    # Vetting (资格审查): the three opinions and the decision the candidate can read.
    opinion_party = models.TextField(_("opinion of the party organisation"), blank=True)  # 组织意图
    opinion_owners = models.TextField(_("opinion of the owners"), blank=True)  # 业主意见
    opinion_self = models.TextField(_("the nominee's own wish"), blank=True)  # 个人意愿
    positive_notes = models.TextField(_("positive notes"), blank=True)  # 正面清单
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("nomination")
        verbose_name_plural = _("nominations")
        ordering = ["election", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["race", "nominee"],
                condition=~Q(status__in=["declined", "withdrawn", "rejected"]),
                name="nomination_one_live_per_nominee",
            )
        ]

    def __str__(self):
        return f"{self.nominee} ({self.get_status_display()})"


class VettingFlag(models.Model):  # 负面清单
    class Kind(models.TextChoices):
        ILLEGAL_BUILDING = "illegal_building", _("illegal construction")  # 违法搭建
        UNPAID_FEES = "unpaid_fees", _("refuses to pay property fees")  # 拒交物业费
        UNPAID_FUND = "unpaid_fund", _("refuses to pay into the maintenance fund")  # 拒交维修资金
        ILLEGAL_RENTAL = "illegal_rental", _("illegal rental")  # 违规出租
        CRIMINAL_RECORD = "criminal_record", _("criminal record")
        OTHER = "other", _("other")

    nomination = models.ForeignKey(
        Nomination, on_delete=models.CASCADE, related_name="flags", verbose_name=_("nomination")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    note = models.TextField(_("note"), blank=True)
    evidence = models.FileField(_("evidence"), upload_to="vetting/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("vetting flag")
        verbose_name_plural = _("vetting flags")

    def __str__(self):
        return self.get_kind_display()


class Objection(models.Model):  # 异议 (候选人公示 / 结果公示 期间)
    class Kind(models.TextChoices):
        CANDIDATE = "candidate", _("objection to a candidate")
        RESULT = "result", _("objection to the result")

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="objections", verbose_name=_("election")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    candidate = models.ForeignKey(
        Candidate,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="objections",
        verbose_name=_("candidate"),
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("filed by")
    )
    text = models.TextField(_("objection"))
    created_at = models.DateTimeField(_("filed"), auto_now_add=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["-created_at"]

    def __str__(self):
        return self.text[:40]


class Voter(models.Model):
    """One statutory voter of this election (RULES.md §1), frozen from the roll when voting opens."""

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="voters", verbose_name=_("election")
    )
    key = models.CharField(max_length=200, verbose_name=_("voter key"))  # Unit.voter_key at the freeze
    area = models.DecimalField(_("area"), max_digits=12, decimal_places=2)
    units = models.ManyToManyField(Unit, related_name="election_voters", verbose_name=_("units"))
    unit_codes = models.CharField(_("units"), max_length=500)  # "3-1-201, 3-1-202" for display
    label = models.CharField(_("voter"), max_length=200)  # the owners' names, or 建设单位
    # The voter's units as they stood at the freeze, for the bundle (RULES.md §4): a list of
    # {"pk", "code", "area" ("89.50"), "status", "owners": [owner pks]}. A roll re-import or an
    # admin edit after the freeze changes the grids tables, never this, so the exported bundle
    # recounts to the published result forever. Empty for voters frozen before it existed.
    units_snapshot = models.JSONField(default=list, blank=True, verbose_name=_("units when frozen"))
    # The co-owner the co-owners designated to vote for this home (共有人指定投票人), while a
    # `Designation` is in force: then only that owner casts, online or through a proxy. Kept on
    # the voter row so the cast reads it in the statement it already makes under the voter's lock.
    designated_owner = models.ForeignKey(
        Owner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("designated co-owner"),
    )

    class Meta:
        verbose_name = _("voter")
        verbose_name_plural = _("voters")
        constraints = [models.UniqueConstraint(fields=["election", "key"], name="voter_unique_key")]

    def __str__(self):
        return f"{self.label} ({self.unit_codes})"


class Scrutineer(models.Model):  # 监票人、计票人
    """A person the election names to watch and check the count. In a secret vote the scrutineers
    and the street office are the only ones who receive the per-ballot record (the named bundle),
    each download in the audit log. Named while the election is set up, with its rules."""

    class Duty(models.TextChoices):
        MONITOR = "monitor", _("scrutineer (监票人)")
        TELLER = "teller", _("teller (计票人)")

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="scrutineers", verbose_name=_("election")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    name = NameField(_("name"), max_length=60)
    duty = models.CharField(_("duty"), max_length=10, choices=Duty.choices, default=Duty.MONITOR)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("added by")
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("scrutineer")
        verbose_name_plural = _("scrutineers")
        ordering = ["election", "duty", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["election", "user"], name="scrutineer_once_per_election")
        ]

    def __str__(self):
        return f"{self.name} ({self.get_duty_display()})"


class Proxy(models.Model):  # 委托投票
    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        REVOKED = "revoked", _("revoked")

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="proxies", verbose_name=_("election")
    )
    principal = models.ForeignKey(
        Voter, on_delete=models.CASCADE, related_name="proxies", verbose_name=_("principal")
    )
    proxy_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="proxy_for",
        verbose_name=_("proxy's account"),
    )
    proxy_name = NameField(_("proxy's name"), max_length=60)
    authorised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("authorised by")
    )
    on_paper = models.BooleanField(_("paper authorisation"), default=False)
    document = models.FileField(_("scanned authorisation"), upload_to="proxies/", blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("proxy")
        verbose_name_plural = _("proxies")
        constraints = [
            models.UniqueConstraint(
                fields=["principal"], condition=Q(status="active"), name="proxy_one_active_per_voter"
            )
        ]

    def __str__(self):
        return f"{self.proxy_name} → {self.principal}"


class Designation(models.Model):
    """The co-owners of a home (共有人) designate the one of them who votes for it.

    Online, one co-owner proposes (naming any co-owner, themselves included) and it is in force
    once every other co-owner has confirmed; or staff record a written designation signed by all
    of them, with its scan. While it is in force only the designee casts (online or through a
    proxy they give), and the other co-owners see who was designated. Any co-owner may withdraw
    it (their consent was needed) until the home has voted. At most one live designation per
    voter (proposed or in force), held by the database.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("waiting for the other co-owners")
        ACTIVE = "active", _("in force")
        WITHDRAWN = "withdrawn", _("withdrawn")

    class Via(models.TextChoices):
        ONLINE = "online", _("confirmed online by every co-owner")
        PAPER = "paper", _("written designation signed by every co-owner")

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="designations", verbose_name=_("election")
    )
    voter = models.ForeignKey(
        Voter, on_delete=models.CASCADE, related_name="designations", verbose_name=_("voter")
    )
    designee = models.ForeignKey(
        Owner, on_delete=models.PROTECT, related_name="+", verbose_name=_("designated co-owner")
    )
    via = models.CharField(_("how"), max_length=10, choices=Via.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    confirmed_by = models.JSONField(
        default=list, verbose_name=_("confirmed by")
    )  # the pks of the co-owners (Owner) who agreed
    document = models.FileField(_("scanned designation"), upload_to="designations/", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    activated_at = models.DateTimeField(_("in force since"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        verbose_name = _("co-owners' designation")
        verbose_name_plural = _("co-owners' designations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["voter"],
                condition=Q(status__in=["proposed", "active"]),
                name="designation_one_live_per_voter",
            )
        ]

    def __str__(self):
        return f"{self.designee} → {self.voter}"


class Ballot(models.Model):
    """One ballot of one voter. At most one valid ballot per voter, enforced by the database."""

    class Channel(models.TextChoices):
        ONLINE = "online", _("online")
        PAPER = "paper", _("paper")
        PLATFORM = "platform", _("city e-voting platform")  # imported per-unit result (RULES.md §7)
        MEETING = "meeting", _("at the meeting")  # 集体讨论: an attendee who cast no ballot there

    class Status(models.TextChoices):
        VALID = "valid", _("valid")
        REJECTED = "rejected", _("rejected ballot")

    class CastAs(models.TextChoices):
        OWNER = "owner", _("the owner")
        CO_OWNER = "co_owner", _("a co-owner")
        PROXY = "proxy", _("a proxy")
        PAPER = "paper", _("paper ballot entered by staff")
        PLATFORM = "platform", _("the city's platform, imported by staff")
        ATTENDEE = "attendee", _("attended the meeting without voting (abstains)")

    election = models.ForeignKey(
        Election, on_delete=models.PROTECT, related_name="ballots", verbose_name=_("election")
    )
    voter = models.ForeignKey(
        Voter, on_delete=models.PROTECT, related_name="ballots", verbose_name=_("voter")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.VALID)
    reject_reason = models.CharField(_("reason for rejection"), max_length=200, blank=True)
    # {"matters": {"M1": "yes"}, "races": {"R1": ["C1", "C2"]}}: secret until the close.
    choices = models.JSONField(default=dict, verbose_name=_("choices"))
    cast_at = models.DateTimeField(_("cast"), db_index=True)
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("cast by")
    )
    cast_as = models.CharField(_("cast by"), max_length=10, choices=CastAs.choices)
    proxy = models.ForeignKey(
        Proxy,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ballots",
        verbose_name=_("proxy"),
    )
    paper_serial = models.CharField(_("paper ballot serial"), max_length=40, blank=True)
    # Where an imported ballot came from: the city platform's result file and its row.
    platform_import = models.ForeignKey(
        "PlatformImport",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ballots",
        verbose_name=_("platform import"),
    )
    source_row = models.PositiveIntegerField(_("row in the imported file"), null=True, blank=True)
    receipt = models.CharField(_("receipt code"), max_length=20)
    seq = models.PositiveIntegerField(
        verbose_name=_("sequence number")
    )  # position in the election's hash chain
    prev_hash = models.CharField(max_length=64, verbose_name=_("previous hash"))
    hash = models.CharField(max_length=64, verbose_name=_("hash"))

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        ordering = ["election", "seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["election", "voter"], condition=Q(status="valid"), name="ballot_one_valid_per_voter"
            ),
            models.UniqueConstraint(fields=["election", "seq"], name="ballot_unique_seq"),
            models.UniqueConstraint(fields=["election", "receipt"], name="ballot_unique_receipt"),
        ]

    def __str__(self):
        return self.receipt


class MeetingAttendance(models.Model):
    """Who attends a meeting held as 集体讨论 (物业管理条例 第12条) for a voter of the frozen roll: one
    of its registered owners (the designee, where the co-owners designated one) or its proxy.

    Attending is taking part (RULES.md §3): an attendee whose vote is not keyed in abstains on
    every matter; at the count such an attendee gets a valid ballot with no choices (channel
    ``meeting``), so the quorum, the tally and the bundle count the attendance. At most one live
    attendance per voter; a mistaken one is withdrawn with a reason and stays as history.
    """

    class Kind(models.TextChoices):
        OWNER = "owner", _("owner")
        PROXY = "proxy", _("proxy")

    class Status(models.TextChoices):
        PRESENT = "present", _("present")
        WITHDRAWN = "withdrawn", _("withdrawn")

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("election")
    )
    voter = models.ForeignKey(
        Voter, on_delete=models.PROTECT, related_name="attendances", verbose_name=_("voter")
    )
    kind = models.CharField(_("attends as"), max_length=10, choices=Kind.choices)
    owner = models.ForeignKey(
        Owner, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("owner")
    )
    proxy = models.ForeignKey(
        "Proxy", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("proxy")
    )
    name = models.CharField(_("name"), max_length=60)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PRESENT)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )
    withdrawn_reason = models.CharField(_("reason for withdrawal"), max_length=300, blank=True)
    ballot = models.OneToOneField(
        "Ballot",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attendance",
        verbose_name=_("ballot"),
    )

    class Meta:
        verbose_name = _("meeting attendance")
        verbose_name_plural = _("meeting attendances")
        ordering = ["election", "voter__unit_codes"]
        constraints = [
            models.UniqueConstraint(
                fields=["election", "voter"], condition=Q(status="present"), name="attendance_one_per_voter"
            ),
            models.CheckConstraint(
                condition=Q(kind="owner", owner__isnull=False, proxy__isnull=True)
                | Q(kind="proxy", proxy__isnull=False, owner__isnull=True),
                name="attendance_kind_fits",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.voter})"


class PlatformImport(models.Model):
    """The per-unit result of a city e-voting platform (北京 35, 杭州 20, 深圳, 广州), imported by staff
    after the close as ballots of channel ``platform`` (RULES.md §7). The file's digest is kept so
    anyone can check which file was imported; each ballot names this import and its row."""

    election = models.ForeignKey(
        Election, on_delete=models.PROTECT, related_name="platform_imports", verbose_name=_("election")
    )
    platform = models.CharField(_("platform"), max_length=100)
    filename = models.CharField(_("file"), max_length=200)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    counts = models.JSONField(default=dict, verbose_name=_("counts"))  # {"valid": n, "rejected": n}
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("imported by")
    )
    created_at = models.DateTimeField(_("imported"), auto_now_add=True)

    class Meta:
        verbose_name = _("platform result import")
        verbose_name_plural = _("platform result imports")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.platform} {self.filename}"


class PaperEntry(models.Model):
    """A paper ballot keyed in twice by two staff members (双人录入); a mismatch goes to review."""

    class Status(models.TextChoices):
        AWAITING_SECOND = "awaiting_second", _("awaiting the second entry")
        MATCHED = "matched", _("matched, ballot recorded")
        MISMATCH = "mismatch", _("entries differ, in review")
        REJECTED = "rejected", _("rejected ballot")
        RESOLVED = "resolved", _("resolved in review")
        # Set aside by staff before it produced a ballot (keyed under the wrong serial, not a
        # ballot of this election, received after the close); the row stays as history.
        WITHDRAWN = "withdrawn", _("withdrawn")

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="paper_entries", verbose_name=_("election")
    )
    voter = models.ForeignKey(
        Voter, on_delete=models.PROTECT, related_name="paper_entries", verbose_name=_("voter")
    )
    serial = models.CharField(_("serial"), max_length=40)
    first_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("first entry by")
    )
    first_entry = models.JSONField(
        default=dict, verbose_name=_("first entry")
    )  # {"signed": bool, "choices": {...}}
    second_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("second entry by"),
    )
    second_entry = models.JSONField(null=True, blank=True, verbose_name=_("second entry"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.AWAITING_SECOND
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    ballot = models.OneToOneField(
        Ballot,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="paper_entry",
        verbose_name=_("ballot"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_reason = models.CharField(_("reason for withdrawal"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("paper ballot entry")
        verbose_name_plural = _("paper ballot entries")
        constraints = [
            # One live entry per ballot serial; withdrawn entries stay as history beside it.
            models.UniqueConstraint(
                fields=["election", "serial"],
                condition=~Q(status="withdrawn"),
                name="paper_entry_unique_serial",
            )
        ]

    def __str__(self):
        return self.serial


class Visit(models.Model):  # 走访记录 (扫楼/催票)
    class Outcome(models.TextChoices):
        VISITED = "visited", _("visited")
        PROMISED = "promised", _("promised to vote")
        REFUSED = "refused", _("refused")
        NOT_HOME = "not_home", _("not at home")

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="visits", verbose_name=_("election")
    )
    voter = models.ForeignKey(Voter, on_delete=models.CASCADE, related_name="visits", verbose_name=_("voter"))
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("visited by")
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-created_at"]

    def __str__(self):
        return self.get_outcome_display()


class CaseStep(models.Model):  # 六步法 case file of a stalled election
    class Step(models.IntegerChoices):
        PROBLEM = 1, _("state the problem")  # 明确问题
        TARGET = 2, _("set the target")  # 设定目标
        CAUSES = 3, _("analyse the causes")  # 分析原因
        MEASURES = 4, _("plan the measures")  # 制定对策
        ACTION = 5, _("carry out the measures")  # 对策实施
        CHECK = 6, _("check the effect")  # 效果检查

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="case_steps", verbose_name=_("election")
    )
    step = models.PositiveSmallIntegerField(_("step"), choices=Step.choices)
    responsible = models.CharField(_("responsible"), max_length=100, blank=True)
    due_on = models.DateField(_("due"), null=True, blank=True)
    done_on = models.DateField(_("done"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated"))

    class Meta:
        verbose_name = _("case file step")
        verbose_name_plural = _("case file steps")
        ordering = ["election", "step"]
        constraints = [models.UniqueConstraint(fields=["election", "step"], name="case_step_unique")]

    def __str__(self):
        return self.get_step_display()


#: The longest term of an owners' committee (DESIGN.md §6: at most five years).
MAX_TERM_YEARS = 5


class Committee(models.Model):  # 业主委员会 (one term)
    compound = models.ForeignKey(
        Compound, on_delete=models.PROTECT, related_name="committees", verbose_name=_("compound")
    )
    election = models.OneToOneField(
        Election,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="committee",
        verbose_name=_("election"),
    )
    term_start = models.DateField(_("term starts"))
    term_end = models.DateField(_("term ends"))
    first_meeting_on = models.DateField(_("first meeting"), null=True, blank=True)
    officers_published_on = models.DateField(_("officers published"), null=True, blank=True)
    filed_on = models.DateField(_("filed on"), null=True, blank=True)  # 备案
    ended_on = models.DateField(_("left office"), null=True, blank=True)
    handed_over_on = models.DateField(_("records and seal handed over"), null=True, blank=True)
    # The committee as a legal entity (璧山: registered as a 民办非企业单位, with a bank account and invoices).
    registration_number = models.CharField(
        _("registration certificate number"), max_length=40, blank=True
    )  # 登记证号
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True
    )  # 统一社会信用代码
    registered_on = models.DateField(_("registered on"), null=True, blank=True)
    bank_name = models.CharField(_("bank and branch"), max_length=100, blank=True)  # 开户行
    bank_account = models.CharField(_("bank account number"), max_length=40, blank=True)  # 账号
    seal_filed_on = models.DateField(_("seal filed on"), null=True, blank=True)  # 印章备案
    seal_filing_number = models.CharField(_("seal filing number"), max_length=40, blank=True)
    # Seats (委员人数) the committee was elected with: a vacancy leaves the seat counted here
    # (RULES.md §7). None: not known yet; the first vacancy records the members then in office.
    seats = models.PositiveSmallIntegerField(_("seats"), null=True, blank=True)
    # Members fell below half of the seats on this day: the whole committee is re-elected, a
    # by-election is refused (指导规则: 不足总数的二分之一时…重新选举).
    full_reelection_due_since = models.DateField(
        _("whole committee to be re-elected since"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("owners' committee")
        verbose_name_plural = _("owners' committees")
        ordering = ["compound", "-term_start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(term_end__gt=models.F("term_start")), name="committee_term_ordered"
            )
        ]

    def __str__(self):
        return f"{self.compound} {self.term_start:%Y}–{self.term_end:%Y}"

    def clean(self):
        super().clean()
        problems = self.term_problems()
        if problems:
            raise ValidationError(problems)

    @property
    def in_office(self) -> bool:
        return self.ended_on is None

    @property
    def awaiting_filing(self) -> bool:
        """Elected here and not yet filed: it sits beside the committee it replaces until the filing."""
        return self.election_id is not None and self.filed_on is None

    def term_problems(self) -> list[str]:
        """What is wrong with the term: longer than five years, or a second committee in office.

        The admin (through `clean`), the register's services and the XLSX import share these rules.
        A committee elected here and not yet filed does not count as a second one: the filing ends
        the previous committee (`lifecycle.election_file`).
        """
        from elections.rules.timeline import add_years

        problems = []
        if self.term_start and self.term_end and self.term_end > add_years(self.term_start, MAX_TERM_YEARS):
            problems.append(
                _("A term lasts at most %(years)d years: this one must end by %(date)s. Check the years.")
                % {"years": MAX_TERM_YEARS, "date": add_years(self.term_start, MAX_TERM_YEARS).isoformat()}
            )
        if self.compound_id is not None and self.ended_on is None and not self.awaiting_filing:
            other = (
                Committee.objects.filter(compound_id=self.compound_id, ended_on__isnull=True)
                .exclude(pk=self.pk)
                .exclude(Q(election__isnull=False) & Q(filed_on__isnull=True))
                .order_by("-term_start")
                .first()
            )
            if other is not None:
                problems.append(
                    _(
                        "The compound already has a committee in office (term %(start)s to %(end)s). "
                        "Record the day it left office on its page in the committee register first."
                    )
                    % {"start": other.term_start.isoformat(), "end": other.term_end.isoformat()}
                )
        return problems


class CommitteeMember(models.Model):
    class Role(models.TextChoices):
        CHAIR = "chair", _("chair")  # 主任
        VICE_CHAIR = "vice_chair", _("vice-chair")  # 副主任
        MEMBER = "member", _("committee member")  # 委员
        ALTERNATE = "alternate", _("alternate member")  # 候补委员

    committee = models.ForeignKey(
        Committee, on_delete=models.CASCADE, related_name="members", verbose_name=_("owners' committee")
    )
    name = NameField(_("name"), max_length=60)
    owner = models.ForeignKey(
        Owner, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("owner")
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    party_member = models.BooleanField(_("party member"), default=False)
    cross_post = models.BooleanField(_("also on the compound party branch"), default=False)  # 交叉任职
    branch_secretary = models.BooleanField(
        _("secretary of the compound party branch"), default=False
    )  # 一肩挑 when the chair
    position = models.PositiveSmallIntegerField(_("display order"), default=0)

    class Meta:
        verbose_name = _("committee member")
        verbose_name_plural = _("committee members")
        ordering = ["committee", "position", "id"]

    def __str__(self):
        return self.name


class CommitteeDocument(models.Model):  # the committee's papers as a legal entity
    class Kind(models.TextChoices):
        REGISTRATION = "registration", _("registration certificate")  # 登记证书
        BANK = "bank", _("bank account licence")  # 开户许可证/开户证明
        SEAL = "seal", _("seal filing receipt")  # 印章备案回执
        ARTICLES = "articles", _("articles of association")  # 章程
        OTHER = "other", _("other document")

    committee = models.ForeignKey(
        Committee, on_delete=models.CASCADE, related_name="documents", verbose_name=_("owners' committee")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=100, blank=True)
    file = models.FileField(_("file"), upload_to="committees/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("committee document")
        verbose_name_plural = _("committee documents")
        ordering = ["committee", "kind", "-uploaded_at"]

    def __str__(self):
        return self.title or self.get_kind_display()


class HolidayDay(models.Model):
    """The statutory holiday calendar (法定节假日与调休), seeded from `chinese-calendar`, extended by staff."""

    date = models.DateField(_("date"), unique=True)
    is_rest_day = models.BooleanField(_("rest day"), help_text=_("Off: an adjusted working day (调休上班)."))
    name = models.CharField(_("name"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("holiday or adjusted working day")
        verbose_name_plural = _("holiday calendar")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.name}"


class HolidayYear(models.Model):
    """A year whose schedule the State Council has published and staff have entered in full."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("holiday year")
        verbose_name_plural = _("holiday years")
        ordering = ["year"]

    def __str__(self):
        return str(self.year)


class Notice(models.Model):
    """A notice to a compound's people (公告、提醒、结果公示…), fanned out into deliveries."""

    class Kind(models.TextChoices):
        ASSEMBLY = "assembly", _("assembly notice")  # 业主大会会议公告
        CANDIDATES = "candidates", _("candidate notice")  # 候选人公示
        REMINDER = "reminder", _("voting reminder")  # 投票提醒
        RESULT = "result", _("result notice")  # 结果公示
        OBJECTION_ANSWER = "objection_answer", _("answer to objections")  # 异议答复
        REELECTION_ALERT = "reelection_alert", _("re-election alert")  # 换届提醒
        PROPOSAL = "proposal", _("owners' proposal for a temporary assembly")  # 业主提议召开临时会议
        OTHER = "other", _("other notice")

    class Audience(models.TextChoices):
        ALL_OWNERS = "all_owners", _("all owners of the compound")
        NON_VOTERS = "non_voters", _("owners who have not voted")
        CANDIDATES = "candidates", _("candidates")
        WORKING_GROUP = "working_group", _("the working group")
        GRID_LEADERS = "grid_leaders", _("grid leaders")
        STREET_STAFF = "street_staff", _("street office staff")
        COMMITTEE = "committee", _("the owners' committee in office")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SCHEDULED = "scheduled", _("scheduled")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")

    CHANNELS = ("sms", "email", "inbox")

    election = models.ForeignKey(
        Election,
        on_delete=models.CASCADE,
        related_name="notices",
        null=True,
        blank=True,
        verbose_name=_("election"),
    )
    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, related_name="notices", verbose_name=_("compound")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices)
    channels = models.JSONField(_("channels"), default=list)  # subset of CHANNELS
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Scheduled notices made by beat (reminders, alerts) carry a key so a second run makes none.
    dedupe_key = models.CharField(max_length=100, blank=True, verbose_name=_("deduplication key"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notice_unique_dedupe_key",
            )
        ]

    def __str__(self):
        return self.title


class Delivery(models.Model):
    """One notice to one recipient on one channel: sent at most once, with proof of service (送达)."""

    class Channel(models.TextChoices):
        SMS = "sms", _("text message")
        EMAIL = "email", _("email")
        INBOX = "inbox", _("in-site inbox")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    notice = models.ForeignKey(
        Notice, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("notice")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient_key = models.CharField(
        max_length=40, verbose_name=_("recipient key")
    )  # "owner:12" or "user:5": one delivery per person
    owner = models.ForeignKey(
        Owner,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("owner"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("user"),
    )
    address = models.CharField(_("mobile or email"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    provider_reply = models.CharField(_("provider reply"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    # Which send of the notice made it (elections.MassSend.round): a resend staff confirmed is a new round.
    round = models.PositiveSmallIntegerField(_("round"), default=1)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "round", "channel", "recipient_key"], name="delivery_once_per_round"
            )
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{self.notice} → {self.recipient_key} ({self.channel})"


class AssemblyProposal(models.Model):
    """Owners' proposal that the committee call a temporary assembly (临时业主大会会议的提议).

    Owners of the compound sign it online; when the signers hold 20 % of the area and 20 % of the
    heads of the compound's roll (指导规则 第二十一条; 物业管理条例 第十三条) it is ``reached``: the
    committee is told it must convene, and the street board shows the compound until staff record
    the assembly convened (an election created from the proposal).
    """

    class Status(models.TextChoices):
        OPEN = "open", _("collecting signatures")
        REACHED = "reached", _("threshold reached: the committee must convene")
        CONVENED = "convened", _("temporary assembly convened")

    compound = models.ForeignKey(
        Compound, on_delete=models.PROTECT, related_name="assembly_proposals", verbose_name=_("compound")
    )
    title = models.CharField(_("what the assembly is asked to decide"), max_length=200)
    text = models.TextField(_("the proposal in full"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("proposed"), auto_now_add=True)
    # When the threshold was reached, with the figures that reached it (the roll of that moment).
    reached_at = models.DateTimeField(_("threshold reached"), null=True, blank=True)
    signed_area = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        verbose_name=_("area of the owners who signed"),
    )
    signed_heads = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("owners who signed"))
    roll_area = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, verbose_name=_("area on the roll")
    )
    roll_heads = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("owners on the roll"))
    notice = models.ForeignKey(
        Notice, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("notice")
    )
    election = models.OneToOneField(
        Election,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposal",
        verbose_name=_("election"),
    )
    convened_at = models.DateTimeField(_("convened"), null=True, blank=True)
    convened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("convened by"),
    )
    # A proposal to remove a committee member (罢免, RULES.md §7): reaching the threshold records a
    # removal proposal (elections.vacancy_models.MemberRemoval) to be put to an assembly.
    removal_of = models.ForeignKey(
        "elections.CommitteeMember",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("removal of"),
    )

    class Meta:
        verbose_name = _("owners' proposal")
        verbose_name_plural = _("owners' proposals")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["compound", "status"])]

    def __str__(self):
        return self.title


class ProposalSignature(models.Model):
    """One voter's signature on a proposal: the voter of the compound's current roll
    (``Unit.voter_key``), signed by one of its owners; withdrawable while the proposal is open."""

    proposal = models.ForeignKey(
        AssemblyProposal, on_delete=models.CASCADE, related_name="signatures", verbose_name=_("proposal")
    )
    voter_key = models.CharField(max_length=200, verbose_name=_("voter key"))
    unit_codes = models.CharField(_("units"), max_length=500)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("signed by")
    )
    signed_at = models.DateTimeField(_("signed"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["proposal", "signed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "voter_key"],
                condition=Q(withdrawn_at__isnull=True),
                name="signature_one_per_voter",
            )
        ]

    def __str__(self):
        return f"{self.unit_codes} → {self.proposal}"


# Modules of their own, imported here so Django finds their models: the committee between
# elections (物管会, filings and handovers, escalations); issue surveys, visits before the vote and
# the reserve of future candidates (never part of a statutory vote).
from elections.committee_models import (  # noqa: E402, F401
    CommitteeDeadline,
    Escalation,
    EscalationStep,
    PropertyCommittee,
    PropertyCommitteeMember,
)

# Mass sends (what each send of a notice costs, its approval and its round).
from elections.mass_send_models import MassSend  # noqa: E402, F401
from elections.outreach_models import (  # noqa: E402, F401
    OutreachVisit,
    ReserveCandidate,
    Survey,
    SurveyQuestion,
    SurveyResponse,
)
from elections.vacancy_models import MemberRemoval, Vacancy  # noqa: E402, F401

"""Where owners live and how they are organised.

Street (街道) → Community (社区) → Compound (小区, 物业管理区域) → Building (楼栋) → Unit (专有部分);
Owner (业主, a person) and Ownership (产权登记: which owners are registered on which unit);
the party organisation (党工委 → 社区党委 → 小区党支部 → 楼栋党小组), grids (网格/微网格), and the
role assignments that scope what each staff user may see.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yezhu.natural import natural_sorted
from yezhu.text import NameField

#: The regional profiles (elections/rules/profiles.py) by the names people read: a street's and an
#: election's `profile` hold the key ("hangzhou"), pages and the admin show these.
PROFILE_LABELS = {
    "national": _("national rules"),
    "shanghai": _("Shanghai"),
    "beijing": _("Beijing"),
    "hangzhou": _("Hangzhou"),
    "shenzhen": _("Shenzhen"),
    "guangzhou": _("Guangzhou"),
}


def profile_label(key: str) -> str:
    """A regional profile's name for people ("杭州"), or the key itself if it is unknown."""
    return str(PROFILE_LABELS.get(key, key))


class District(models.Model):  # 区
    name = models.CharField(_("name"), max_length=60, unique=True)

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self):
        return self.name


class Street(models.Model):  # 街道 (街道办事处)
    name = models.CharField(_("name"), max_length=60, unique=True)
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="streets",
        verbose_name=_("district"),
    )
    profile = models.CharField(
        _("regional profile"),
        max_length=20,
        default="national",
        help_text=_(
            "The statutory timeline and settings that apply: national, shanghai, beijing, hangzhou, shenzhen, guangzhou."
        ),
    )
    party_share_target = models.DecimalField(
        _("target share of party members among candidates"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("0.50"),
        help_text=_("Advisory only, e.g. 0.50 for at least half."),
    )
    # The street office's gates (龙岗's 三关: start, working group, candidates). Vetting the
    # candidates is a step of every election; these two add the street office's approval where
    # the street asks for it, as preconditions of the election's transitions.
    gate_start = models.BooleanField(
        _("the street office approves the start of each election"),
        default=False,
        help_text=_("The working group can only be formed once the street office has approved the start."),
    )
    gate_working_group = models.BooleanField(
        _("the street office vets and approves each working group"),
        default=False,
        help_text=_(
            "The working group's list can only be published, and the assembly notice only go out, "
            "once the street office has approved its make-up."
        ),
    )
    # What the street's text messages may cost in a calendar month (Asia/Shanghai), in 元; empty:
    # no ceiling. Mass sends are refused beyond it (elections/mass_sends.py).
    sms_monthly_budget = models.DecimalField(
        _("monthly text-message budget (yuan)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_(
            "Empty: no ceiling. A send that would cost more than what is left this month is refused."
        ),
    )

    class Meta:
        verbose_name = _("street")
        verbose_name_plural = _("streets")

    def __str__(self):
        return self.name


class Community(models.Model):  # 社区 (居委会)
    street = models.ForeignKey(
        Street, on_delete=models.PROTECT, related_name="communities", verbose_name=_("street")
    )
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        constraints = [models.UniqueConstraint(fields=["street", "name"], name="community_unique_name")]

    def __str__(self):
        return self.name


class Compound(models.Model):  # 小区 / 物业管理区域
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="compounds", verbose_name=_("community")
    )
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    property_manager = models.CharField(
        _("property manager"), max_length=100, blank=True, help_text=_("Empty when the compound has none.")
    )
    parking_counts = models.BooleanField(
        _("parking spaces and stalls count toward the roll"),
        default=False,
        help_text=_("As the rules of procedure say (指导规则 25); off by default."),
    )
    # 首套房屋交付之日: two years after it the first assembly may be called whatever the delivered
    # area (elections.rules.assembly); entered by staff from the developer's delivery records.
    first_delivered_on = models.DateField(
        _("first unit delivered on"),
        null=True,
        blank=True,
        help_text=_("The day the first home of the compound was delivered to its buyer."),
    )
    # The developer (建设单位) is one owner (解释 第9条): its unsold and undelivered units and the
    # units registered to its own name (自持) are one voter. The roll recognises the latter by this
    # unified social credit code (统一社会信用代码, GB 32100) in the owner column. A company's code is
    # public (it is on its business licence), so it is kept as written, unlike a person's number.
    # Changed through grids.services.compound_developer_set, which re-keys the roll's voters.
    developer_name = models.CharField(_("developer"), max_length=100, blank=True)
    developer_uscc = models.CharField(
        _("developer's unified social credit code"),
        max_length=18,
        blank=True,
        help_text=_(
            "18 characters (统一社会信用代码); units registered to it belong to the developer's vote."
        ),
    )

    class Meta:
        verbose_name = _("compound")
        verbose_name_plural = _("compounds")
        ordering = ["code"]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.developer_uscc:
            from grids.idcard import USCC, InvalidIdNumber, parse_id_number

            try:
                parsed = parse_id_number(self.developer_uscc)
            except InvalidIdNumber:
                parsed = None
            if parsed is None or parsed.kind != USCC:
                raise ValidationError(
                    {"developer_uscc": _("This is not a valid unified social credit code (GB 32100).")}
                )
            self.developer_uscc = parsed.number

    @property
    def street_id(self):
        return self.community.street_id


class Building(models.Model):  # 楼栋
    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, related_name="buildings", verbose_name=_("compound")
    )
    name = models.CharField(_("building"), max_length=30)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["compound", "name"]
        constraints = [models.UniqueConstraint(fields=["compound", "name"], name="building_unique_name")]

    def __str__(self):
        return f"{self.name}号楼" if self.name.isdigit() else self.name


class Unit(models.Model):  # 专有部分 (房屋、车位、摊位)
    class Kind(models.TextChoices):
        RESIDENTIAL = "residential", _("residential")
        COMMERCIAL = "commercial", _("commercial")
        OFFICE = "office", _("office")
        PARKING = "parking", _("parking space")
        STALL = "stall", _("stall")
        OTHER = "other", _("other")

    class AreaSource(models.TextChoices):
        REGISTER = "register", _("real-estate register")  # 不动产登记簿
        SURVEY = "survey", _("survey")  # 测绘机构实测面积
        CONTRACT = "contract", _("purchase contract")  # 合同

    class Status(models.TextChoices):
        DELIVERED = "delivered", _("delivered")  # 已交付
        UNSOLD = "unsold", _("unsold")  # 未售 (建设单位)
        SOLD_UNDELIVERED = "sold_undelivered", _("sold, not delivered")  # 已售未交付 (建设单位)

    DEVELOPER_KEY = "developer"
    NOT_COUNTED_KINDS = (Kind.PARKING, Kind.STALL)

    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, related_name="units", verbose_name=_("compound")
    )
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="units", verbose_name=_("building")
    )
    entrance = models.CharField(_("entrance"), max_length=20, blank=True)  # 单元
    number = models.CharField(_("number"), max_length=20)  # 房号
    code = models.CharField(_("unit"), max_length=60)  # 楼栋-单元-房号
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.RESIDENTIAL)
    area = models.DecimalField(
        _("exclusive area (㎡)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    area_source = models.CharField(_("area source"), max_length=10, choices=AreaSource.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DELIVERED)
    # The statutory voter this unit belongs to (RULES.md §1): "developer", or the sorted ids of
    # its registered owners joined by "-". Kept by grids.services whenever ownership changes, so
    # the roll is one GROUP BY and never a loop over owners.
    voter_key = models.CharField(max_length=200, db_index=True, blank=True, verbose_name=_("voter key"))
    owners = models.ManyToManyField(
        "Owner", through="Ownership", related_name="units", verbose_name=_("unit owners")
    )
    central_household = models.BooleanField(_("party-member central household"), default=False)  # 党员中心户

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["compound", "code"]
        constraints = [
            models.UniqueConstraint(fields=["compound", "code"], name="unit_unique_code"),
            models.CheckConstraint(condition=Q(area__gt=0), name="unit_area_positive"),
        ]
        indexes = [models.Index(fields=["compound", "voter_key"])]

    def __str__(self):
        return self.code

    @property
    def counts_toward_roll(self) -> bool:
        return self.kind not in self.NOT_COUNTED_KINDS or self.compound.parking_counts

    @property
    def is_developers(self) -> bool:
        """Whether the unit belongs to the developer's voter: unsold, undelivered, or its own (自持)."""
        return self.status != self.Status.DELIVERED or self.voter_key == self.DEVELOPER_KEY


class Owner(models.Model):  # 业主 (自然人或单位)
    name = NameField(_("name"), max_length=60)
    mobile = models.CharField(_("mobile number"), max_length=11, blank=True, db_index=True)
    # The identity number itself is never stored: a salted hash to recognise the person again,
    # and the last four characters for staff to compare against a document.
    id_hash = models.CharField(max_length=64, unique=True, verbose_name=_("ID number hash"))
    id_last4 = models.CharField(_("ID number (last four)"), max_length=4)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owner_records",
        verbose_name=_("account"),
    )

    class Meta:
        verbose_name = _("owner")
        verbose_name_plural = _("owners")

    def __str__(self):
        return self.name

    @property
    def masked_mobile(self) -> str:
        from yezhu.accounts.phone import mask_mobile

        return mask_mobile(self.mobile) if self.mobile else ""


class Ownership(models.Model):  # 产权登记: an owner registered on a unit (several = 共有人)
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="ownerships", verbose_name=_("unit")
    )
    owner = models.ForeignKey(
        Owner, on_delete=models.PROTECT, related_name="ownerships", verbose_name=_("owner")
    )

    class Meta:
        verbose_name = _("ownership")
        verbose_name_plural = _("ownerships")
        constraints = [models.UniqueConstraint(fields=["unit", "owner"], name="ownership_unique")]

    def __str__(self):
        return f"{self.owner} @ {self.unit}"


class PartyOrg(models.Model):  # 党组织: 街道党工委 → 社区党委 → 小区党支部 → 楼栋党小组
    class Level(models.TextChoices):
        STREET = "street", _("street party working committee")  # 街道党工委
        COMMUNITY = "community", _("community party committee")  # 社区党委
        COMPOUND = "compound", _("compound party branch")  # 小区党支部
        BUILDING = "building", _("building party group")  # 楼栋党小组

    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent organisation"),
    )
    street = models.ForeignKey(
        Street,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="party_orgs",
        verbose_name=_("street"),
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="party_orgs",
        verbose_name=_("community"),
    )
    compound = models.ForeignKey(
        Compound,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="party_orgs",
        verbose_name=_("compound"),
    )
    building = models.ForeignKey(
        Building,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="party_orgs",
        verbose_name=_("building"),
    )

    class Meta:
        verbose_name = _("party organisation")
        verbose_name_plural = _("party organisations")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(level="street", street__isnull=False)
                    | Q(level="community", community__isnull=False)
                    | Q(level="compound", compound__isnull=False)
                    | Q(level="building", building__isnull=False)
                ),
                name="partyorg_level_has_place",
            )
        ]

    def __str__(self):
        return self.name


class PartyMember(models.Model):  # 党员
    class Role(models.TextChoices):
        SECRETARY = "secretary", _("secretary")  # 书记
        DEPUTY = "deputy", _("deputy secretary")  # 副书记
        COMMITTEE = "committee", _("committee member")  # 委员
        GROUP_LEADER = "group_leader", _("party group leader")  # 楼栋党小组长
        MEMBER = "member", _("party member")  # 党员

    #: The posts of a branch (支委): they confirm members' reports and see the reserve list.
    OFFICER_ROLES = (Role.SECRETARY, Role.DEPUTY, Role.COMMITTEE)

    org = models.ForeignKey(
        PartyOrg, on_delete=models.CASCADE, related_name="members", verbose_name=_("organisation")
    )
    name = NameField(_("name"), max_length=60)
    owner = models.ForeignKey(
        Owner,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="party_memberships",
        verbose_name=_("owner"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="party_memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    reported_on = models.DateField(
        _("reported to the compound branch on"), null=True, blank=True
    )  # 在职党员报到

    class Meta:
        verbose_name = _("party member")
        verbose_name_plural = _("party members")

    def __str__(self):
        return f"{self.name} ({self.get_role_display()})"

    @property
    def is_officer(self) -> bool:
        return self.role in self.OFFICER_ROLES


class PartyReport(models.Model):
    """A party member who lives in the compound reports to its branch (在职党员到小区报到) from
    their phone; an officer of the branch, or community or street staff, confirms it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        CONFIRMED = "confirmed", _("confirmed")
        REJECTED = "rejected", _("rejected")

    org = models.ForeignKey(
        PartyOrg, on_delete=models.CASCADE, related_name="reports", verbose_name=_("organisation")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="party_reports",
        verbose_name=_("user"),
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+", verbose_name=_("home"))
    name = models.CharField(_("name"), max_length=60)
    home_org = models.CharField(
        _("party organisation holding the membership"), max_length=100
    )  # 组织关系所在党组织 (工作单位或原社区)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    member = models.ForeignKey(
        PartyMember,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("party member"),
    )
    created_at = models.DateTimeField(_("filed"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )

    class Meta:
        verbose_name = _("party member's report")
        verbose_name_plural = _("party members' reports")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "org"], condition=Q(status="pending"), name="party_report_one_pending"
            )
        ]

    def __str__(self):
        return f"{self.name} → {self.org}"


class PartyActivity(models.Model):  # 党员活动: what a member did for the compound
    class Kind(models.TextChoices):
        SERVICE = "service", _("volunteer service")  # 志愿服务
        MEETING = "meeting", _("branch meeting")  # 组织生活
        VISIT = "visit", _("visiting owners")  # 走访
        OTHER = "other", _("other")

    member = models.ForeignKey(
        PartyMember, on_delete=models.CASCADE, related_name="activities", verbose_name=_("party member")
    )
    on = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))

    class Meta:
        verbose_name = _("party member's activity")
        verbose_name_plural = _("party members' activities")
        ordering = ["-on", "-pk"]

    def __str__(self):
        return f"{self.member.name} {self.on} {self.get_kind_display()}"


class Grid(models.Model):  # 网格 / 微网格
    class Kind(models.TextChoices):
        GRID = "grid", _("grid")  # 网格
        MICRO = "micro", _("micro-grid")  # 微网格

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="grids", verbose_name=_("community")
    )
    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, related_name="grids", verbose_name=_("compound")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent grid"),
    )
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.GRID)
    buildings = models.ManyToManyField(
        Building, related_name="grids", blank=True, verbose_name=_("buildings")
    )

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")

    def __str__(self):
        return self.name

    def buildings_in_order(self) -> list[Building]:
        """The grid's buildings in natural order (1, 2, … 10), from the prefetch cache if any."""
        return natural_sorted(self.buildings.all(), key=lambda b: b.name)


class RoleAssignment(models.Model):
    """A user holds a role within a scope: the only source of what staff may see."""

    class Role(models.TextChoices):
        DISTRICT_STAFF = "district_staff", _("district staff")  # 区房管/区委社会工作部
        STREET_STAFF = "street_staff", _("street office staff")  # 街道办
        COMMUNITY_STAFF = "community_staff", _("community staff")  # 社区/居委会
        WORKING_GROUP = "working_group", _("election working group")  # 筹备组/换届小组
        GRID_LEADER = "grid_leader", _("grid leader")  # 网格长/楼组长/楼栋长
        AUDITOR = "auditor", _("auditor")

    class Post(models.TextChoices):  # grid posts
        GRID_LEADER = "grid_leader", _("grid leader")  # 网格长
        BUILDING_GROUP_LEADER = "building_group_leader", _("building group leader")  # 楼组长
        BUILDING_LEADER = "building_leader", _("building or entrance leader")  # 楼栋长/单元长

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="roles", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    district = models.ForeignKey(
        District,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("district"),
    )
    street = models.ForeignKey(
        Street, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("street")
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("community"),
    )
    compound = models.ForeignKey(
        Compound,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("compound"),
    )
    grid = models.ForeignKey(
        Grid, on_delete=models.CASCADE, null=True, blank=True, related_name="posts", verbose_name=_("grid")
    )
    post = models.CharField(_("grid post"), max_length=30, choices=Post.choices, blank=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            # Exactly one scope, and the one that fits the role.
            models.CheckConstraint(
                condition=(
                    Q(
                        role="district_staff",
                        district__isnull=False,
                        street=None,
                        community=None,
                        compound=None,
                        grid=None,
                    )
                    | Q(
                        role="street_staff",
                        street__isnull=False,
                        district=None,
                        community=None,
                        compound=None,
                        grid=None,
                    )
                    | Q(
                        role="community_staff",
                        community__isnull=False,
                        district=None,
                        street=None,
                        compound=None,
                        grid=None,
                    )
                    | Q(
                        role="working_group",
                        compound__isnull=False,
                        district=None,
                        street=None,
                        community=None,
                        grid=None,
                    )
                    | Q(
                        role="grid_leader",
                        grid__isnull=False,
                        district=None,
                        street=None,
                        community=None,
                        compound=None,
                    )
                    | Q(
                        Q(role="auditor")
                        & (
                            Q(district__isnull=False, street=None, community=None, compound=None, grid=None)
                            | Q(street__isnull=False, district=None, community=None, compound=None, grid=None)
                            | Q(community__isnull=False, district=None, street=None, compound=None, grid=None)
                            | Q(compound__isnull=False, district=None, street=None, community=None, grid=None)
                        )
                    )
                ),
                name="role_scope_fits",
            )
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.scope}"

    @property
    def scope(self):
        return self.district or self.street or self.community or self.compound or self.grid


class OwnerClaim(models.Model):
    """A resident whose mobile number the roll does not list asks to be linked to a unit (认证申请)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="owner_claims",
        verbose_name=_("user"),
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="claims", verbose_name=_("unit"))
    name = NameField(_("name"), max_length=60)
    id_last4 = models.CharField(_("last four characters of the ID number"), max_length=4)
    certificate_number = models.CharField(_("property certificate number"), max_length=60)  # 不动产权证号
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("filed"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )

    class Meta:
        verbose_name = _("owner claim")
        verbose_name_plural = _("owner claims")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "unit"], condition=Q(status="pending"), name="claim_one_pending_per_unit"
            )
        ]

    def __str__(self):
        return f"{self.name} → {self.unit}"

"""The committee between elections (RULES.md §7): the 物业管理委员会, the tracked deadlines of
filings (变更备案) and handovers, and the escalations the street office must act on.

- A **property management committee** (物业管理委员会, 物管会) is formed by the street office where the
  regional profile provides one (北京, 杭州) and a committee cannot be formed or a term ended with no
  successor. It organises the next election, may convene an assembly in the interim, and is dissolved
  when the new committee takes office.
- A **committee deadline** is a filing (变更备案, within 30 days of a change) or a departing member's
  handover (within 7 days of leaving). The handover of records and seal at a term's end is the
  committee's own date (``Committee.handed_over_on``), counted from ``term_end``.
- An **escalation** is a compound overdue beyond the profile's limit (a term expired with no election,
  an election stalled): a step the street office must act on, with every step recorded (who was
  told, when, what was done).

The foreign keys name their models by string, so this module imports nothing of ``elections``
(``elections.models`` imports it at its end, for Django to find the models).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yezhu.text import NameField


class PropertyCommittee(models.Model):  # 物业管理委员会 (物管会): the street office's interim body
    class Basis(models.TextChoices):
        CANNOT_FORM = "cannot_form", _("a committee cannot be formed")  # 不具备成立业委会条件/选不出
        NO_SUCCESSOR = "no_successor", _("the term ended with no new committee")  # 任期届满未换届

    compound = models.ForeignKey(
        "grids.Compound",
        on_delete=models.PROTECT,
        related_name="property_committees",
        verbose_name=_("compound"),
    )
    basis = models.CharField(_("why it is formed"), max_length=20, choices=Basis.choices)
    formed_on = models.DateField(_("formed on"))
    decision_number = models.CharField(_("street office's decision number"), max_length=60, blank=True)
    term_start = models.DateField(_("term starts"))
    term_end = models.DateField(_("term ends"))
    publicity_start = models.DateField(_("publicity starts"))  # 公示
    publicity_end = models.DateField(_("publicity ends"))
    dissolved_on = models.DateField(_("dissolved on"), null=True, blank=True)
    successor = models.ForeignKey(
        "elections.Committee",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("the committee that took office after it"),
    )
    formed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("formed by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))

    class Meta:
        verbose_name = _("property management committee")
        verbose_name_plural = _("property management committees")
        ordering = ["compound", "-formed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(term_end__gt=models.F("term_start")), name="property_committee_term_ordered"
            ),
            models.CheckConstraint(
                condition=Q(publicity_end__gte=models.F("publicity_start")),
                name="property_committee_publicity_ordered",
            ),
            # One 物管会 acting for a compound at a time.
            models.UniqueConstraint(
                fields=["compound"],
                condition=Q(dissolved_on__isnull=True),
                name="property_committee_one_active",
            ),
        ]

    def __str__(self):
        return f"{self.compound} 物管会 {self.term_start:%Y-%m-%d}"

    @property
    def active(self) -> bool:
        return self.dissolved_on is None


class PropertyCommitteeMember(models.Model):
    property_committee = models.ForeignKey(
        PropertyCommittee,
        on_delete=models.CASCADE,
        related_name="members",
        verbose_name=_("property management committee"),
    )
    name = NameField(_("name"), max_length=60)
    affiliation = models.CharField(_("unit or capacity"), max_length=60, blank=True)  # 单位/身份
    is_owner = models.BooleanField(_("owner"), default=False)  # 业主代表
    owner = models.ForeignKey(
        "grids.Owner",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    residents_committee = models.BooleanField(
        _("residents' committee representative"), default=False
    )  # 居委会代表
    chair = models.BooleanField(_("chair"), default=False)  # 主任
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("order in the list"))

    class Meta:
        verbose_name = _("property management committee member")
        verbose_name_plural = _("property management committee members")
        ordering = ["property_committee", "position", "id"]

    def __str__(self):
        return self.name


class CommitteeDeadline(models.Model):
    """A tracked deadline of the committee between elections: a filing or a member's handover."""

    class Kind(models.TextChoices):
        FILING = "filing", _("change filing")  # 变更备案
        MEMBER_HANDOVER = "member_handover", _("departing member's handover")  # 离任移交

    class Change(models.TextChoices):
        MEMBER_IN = "member_in", _("a member joined")
        MEMBER_OUT = "member_out", _("a member left")
        CHAIR = "chair", _("the chair changed")
        PROPERTY_COMMITTEE = "property_committee", _("a property management committee was formed")
        OTHER = "other", _("other change")

    compound = models.ForeignKey(
        "grids.Compound",
        on_delete=models.CASCADE,
        related_name="committee_deadlines",
        verbose_name=_("compound"),
    )
    committee = models.ForeignKey(
        "elections.Committee",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deadlines",
        verbose_name=_("owners' committee"),
    )
    property_committee = models.ForeignKey(
        PropertyCommittee,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deadlines",
        verbose_name=_("property management committee"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    change = models.CharField(_("change"), max_length=20, choices=Change.choices)
    subject = models.CharField(_("who or what"), max_length=100, blank=True)
    event_on = models.DateField(_("date of the change"))
    due_on = models.DateField(_("due"))
    done_on = models.DateField(_("done on"), null=True, blank=True)  # filed on / handed over on
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))

    class Meta:
        verbose_name = _("committee deadline")
        verbose_name_plural = _("committee deadlines")
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["compound", "done_on"], name="committee_deadline_open")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.subject} {self.due_on}"


class Escalation(models.Model):
    """A compound overdue beyond the profile's limit: the street office must act (督办)."""

    class Reason(models.TextChoices):
        TERM_EXPIRED = "term_expired", _("the term expired and no election is under way")  # 应换未换
        ELECTION_STALLED = "election_stalled", _("the election under way is stalled")

    class Status(models.TextChoices):
        OPEN = "open", _("the street office must act")
        ACTED = "acted", _("the street office acted: waiting for the effect")
        RESOLVED = "resolved", _("resolved")

    compound = models.ForeignKey(
        "grids.Compound", on_delete=models.CASCADE, related_name="escalations", verbose_name=_("compound")
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    committee = models.ForeignKey(
        "elections.Committee",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owners' committee"),
    )
    election = models.ForeignKey(
        "elections.Election",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="escalations",
        verbose_name=_("election"),
    )
    overdue_since = models.DateField(_("overdue since"))
    raised_on = models.DateField(_("escalated on"))
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["raised_on", "pk"]
        constraints = [
            # The sweep runs every minute: one escalation per compound and reason until resolved.
            models.UniqueConstraint(
                fields=["compound", "reason"],
                condition=Q(resolved_on__isnull=True),
                name="escalation_one_open",
            )
        ]

    def __str__(self):
        return f"{self.compound} {self.get_reason_display()}"


class EscalationStep(models.Model):
    """One step of an escalation: raised, the street office told, an order given, a 物管会 formed,
    resolved. Who was told and when is part of the record."""

    class Kind(models.TextChoices):
        RAISED = "raised", _("escalated to the street office")
        ORDERED_ELECTION = "ordered_election", _("the street office ordered the election")  # 责令限期换届
        FORMED_PROPERTY_COMMITTEE = (
            "formed_property_committee",
            _("the street office formed a property management committee"),
        )
        RESOLVED = "resolved", _("resolved")

    escalation = models.ForeignKey(
        Escalation, on_delete=models.CASCADE, related_name="steps", verbose_name=_("escalation")
    )
    kind = models.CharField(_("step"), max_length=30, choices=Kind.choices)
    on = models.DateField(_("date"))
    told = models.CharField(_("who was told"), max_length=200, blank=True)
    told_at = models.DateTimeField(_("told at"), null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    by_label = models.CharField(_("recorded by"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))

    class Meta:
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
        ordering = ["escalation", "created_at", "pk"]

    def __str__(self):
        return self.get_kind_display()

"""The committee between elections (RULES.md §7): a member's seat falling vacant (委员出缺) and a
proposal to remove a member (罢免).

- :class:`Vacancy` keeps who left, why and when, and which alternate (候补委员) moved up into the
  seat, with the move's publicity (公示) and the day by which it must be filed (备案). The leaving
  member's row is removed from the committee, so every page that lists members lists those in
  office; the vacancy is the record.
- :class:`MemberRemoval` is a proposal to remove a member, by at least a third of the members or by
  owners holding 20 % of the area and heads (an :class:`~elections.models.AssemblyProposal` signed
  online), and what the assembly made of it (a matter on an assembly's agenda).

The foreign keys name their models by string, so this module imports nothing of ``elections``
(``elections.models`` imports it at its end, for Django to find the models).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Vacancy(models.Model):  # 委员出缺 (辞职、迁出、去世、被罢免)
    class Reason(models.TextChoices):
        RESIGNED = "resigned", _("resigned")  # 辞职
        MOVED_OUT = "moved_out", _("moved out or no longer an owner")  # 迁出/不再是业主
        DIED = "died", _("died")  # 去世
        REMOVED = "removed", _("removed by the assembly")  # 被业主大会罢免
        OTHER = "other", _("other reason")

    committee = models.ForeignKey(
        "elections.Committee",
        on_delete=models.CASCADE,
        related_name="vacancies",
        verbose_name=_("owners' committee"),
    )
    name = models.CharField(_("name"), max_length=60)
    role = models.CharField(_("role held"), max_length=10)
    owner = models.ForeignKey(
        "grids.Owner",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    note = models.CharField(_("details"), max_length=300, blank=True)
    left_on = models.DateField(_("left on"))
    # The alternate who moved up into the seat (none: no alternate was left).
    moved_up = models.ForeignKey(
        "elections.CommitteeMember",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("moved up"),
    )
    moved_up_name = models.CharField(_("alternate moved up"), max_length=60, blank=True)
    # The move is publicised (公示) and filed within the profile's days of the notice's end.
    notice_start = models.DateField(_("notice from"), null=True, blank=True)
    notice_end = models.DateField(_("notice until"), null=True, blank=True)
    file_by = models.DateField(_("to be filed by"), null=True, blank=True)
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("vacancy")
        verbose_name_plural = _("vacancies")
        ordering = ["committee", "-left_on", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.get_reason_display()}, {self.left_on})"


class MemberRemoval(models.Model):  # 罢免委员的提议 and its outcome
    class Route(models.TextChoices):
        MEMBERS = "members", _("proposed by a third of the members")  # 三分之一以上委员提议
        OWNERS = "owners", _("proposed by owners holding 20 %")  # 20%以上业主提议

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed: to be put to the assembly")
        ON_AGENDA = "on_agenda", _("on an assembly's agenda")
        PASSED = "passed", _("passed: the member is removed")
        FAILED = "failed", _("not passed: the member stays")

    committee = models.ForeignKey(
        "elections.Committee",
        on_delete=models.CASCADE,
        related_name="removals",
        verbose_name=_("owners' committee"),
    )
    member = models.ForeignKey(
        "elections.CommitteeMember",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="removals",
        verbose_name=_("committee member"),
    )
    member_name = models.CharField(_("member"), max_length=60)
    route = models.CharField(_("proposed by"), max_length=10, choices=Route.choices)
    # Members' route: [{"id": member id, "name": name}] of the members who proposed.
    proposers = models.JSONField(_("proposers"), default=list, blank=True)
    reason = models.CharField(_("grounds"), max_length=300, blank=True)
    proposal = models.OneToOneField(
        "elections.AssemblyProposal",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="removal",
        verbose_name=_("proposal"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    matter = models.OneToOneField(
        "elections.Matter",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="removal",
        verbose_name=_("matter"),
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("removal proposal")
        verbose_name_plural = _("removal proposals")
        ordering = ["committee", "-recorded_at", "-pk"]

    def __str__(self):
        return f"罢免 {self.member_name} ({self.get_status_display()})"

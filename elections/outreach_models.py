"""What happens around a compound's votes and is never part of one.

- Issue surveys (问题征集): the committee, the branch or the working group asks owners questions,
  one answer per home, for a set time. A survey is not a decision of the owners' assembly: its
  tables are its own, nothing here is read by the tally, the bundle or a ballot page, and every
  page that shows one says so.
- Visits before the vote (走访交心): from the working group's forming until voting opens, the
  working group and grid leaders log talks with owners by home (the frozen roll and its voters
  exist only from the opening; visits during the vote are ``elections.models.Visit``).
- The reserve of future candidates (第二梯队): owners who could stand at a later election, with
  who suggested them; the working group and the compound's party branch see it.

The foreign keys name their models by string, so this module imports nothing of ``elections``
(``elections.models`` imports it at its end, for Django to find the models).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Survey(models.Model):  # 问题征集: asks owners, decides nothing
    class Asker(models.TextChoices):
        COMMITTEE = "committee", _("the owners' committee")
        BRANCH = "branch", _("the compound party branch")
        WORKING_GROUP = "working_group", _("the election working group")

    compound = models.ForeignKey(
        "grids.Compound", on_delete=models.PROTECT, related_name="surveys", verbose_name=_("compound")
    )
    asker = models.CharField(_("asked by"), max_length=20, choices=Asker.choices)
    title = models.CharField(_("title"), max_length=200)
    intro = models.TextField(_("introduction"), blank=True)
    opens_at = models.DateTimeField(_("open from"))
    closes_at = models.DateTimeField(_("open until"))
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("issue survey")
        verbose_name_plural = _("issue surveys")
        ordering = ["-opens_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="survey_window_ordered"
            )
        ]

    def __str__(self):
        return self.title

    def is_open(self, now) -> bool:
        return self.published_at is not None and self.opens_at <= now < self.closes_at

    def is_closed(self, now) -> bool:
        return self.published_at is not None and now >= self.closes_at


class SurveyQuestion(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("one choice")
        MULTIPLE = "multiple", _("several choices")
        TEXT = "text", _("free text")

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="questions", verbose_name=_("issue survey")
    )
    position = models.PositiveSmallIntegerField(_("display order"), default=0)
    kind = models.CharField(_("kind of answer"), max_length=10, choices=Kind.choices)
    text = models.CharField(_("question"), max_length=300)
    options = models.JSONField(_("options"), default=list, blank=True)  # the choices, in order
    required = models.BooleanField(_("an answer is required"), default=True)

    class Meta:
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        ordering = ["survey", "position", "pk"]

    def __str__(self):
        return self.text


class SurveyResponse(models.Model):
    """One home's answers. The database allows one per home (unit) and survey."""

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="responses", verbose_name=_("issue survey")
    )
    unit = models.ForeignKey("grids.Unit", on_delete=models.CASCADE, related_name="+", verbose_name=_("home"))
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("answered by")
    )
    # {"<question pk>": [option index, …]} for choices, {"<question pk>": "text"} for free text.
    answers = models.JSONField(default=dict, verbose_name=_("answers"))
    created_at = models.DateTimeField(_("answered"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        constraints = [models.UniqueConstraint(fields=["survey", "unit"], name="survey_one_answer_per_home")]

    def __str__(self):
        return f"{self.survey} · {self.unit_id}"


class OutreachVisit(models.Model):  # 走访交心 before the vote
    class Way(models.TextChoices):
        VISIT = "visit", _("door-to-door visit")  # 上门走访
        TALK = "talk", _("heart-to-heart talk")  # 交心谈心
        PHONE = "phone", _("phone call")  # 电话
        MEETING = "meeting", _("owners' meeting")  # 座谈会

    class Outcome(models.TextChoices):
        SUPPORTIVE = "supportive", _("supports the election")
        CONCERNS = "concerns", _("has concerns")
        NOT_HOME = "not_home", _("not at home")
        OTHER = "other", _("other")

    election = models.ForeignKey(
        "elections.Election", on_delete=models.CASCADE, related_name="outreach", verbose_name=_("election")
    )
    unit = models.ForeignKey("grids.Unit", on_delete=models.CASCADE, related_name="+", verbose_name=_("home"))
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("visited by")
    )
    way = models.CharField(_("how"), max_length=10, choices=Way.choices, default=Way.VISIT)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    note = models.CharField(_("what the owner said"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("visit before the vote")
        verbose_name_plural = _("visits before the vote")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_way_display()} · {self.get_outcome_display()}"


class ReserveCandidate(models.Model):  # 第二梯队
    class Source(models.TextChoices):
        WORKING_GROUP = "working_group", _("the working group")
        BRANCH = "branch", _("the party branch")
        COMMUNITY = "community", _("community or street staff")
        GRID = "grid", _("a grid leader")
        OWNERS = "owners", _("owners of the compound")

    class Status(models.TextChoices):
        ACTIVE = "active", _("in the reserve")
        WITHDRAWN = "withdrawn", _("withdrawn")

    compound = models.ForeignKey(
        "grids.Compound", on_delete=models.PROTECT, related_name="reserve", verbose_name=_("compound")
    )
    name = models.CharField(_("name"), max_length=60)
    owner = models.ForeignKey(
        "grids.Owner",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    unit_code = models.CharField(_("unit"), max_length=60, blank=True)
    party_member = models.BooleanField(_("party member"), default=False)
    source = models.CharField(_("suggested by"), max_length=20, choices=Source.choices)
    suggested_by_name = models.CharField(_("name of who suggested them"), max_length=60)
    reason = models.TextField(_("why"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_reason = models.CharField(_("reason for withdrawal"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("reserve candidate")
        verbose_name_plural = _("reserve of future candidates")
        ordering = ["compound", "-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "owner"],
                condition=Q(status="active", owner__isnull=False),
                name="reserve_one_active_per_owner",
            )
        ]

    def __str__(self):
        return self.name

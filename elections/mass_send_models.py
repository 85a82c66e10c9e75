"""Mass sends (群发): one row per time a notice goes out to its audience, with what it costs.

A row is written before anything is sent, with the estimate staff saw (people, text messages,
cost at the configured price), and counts against its street's monthly budget from then on unless
it is refused. A send of more than `MASS_SEND_APPROVAL_OVER` messages waits for a second staff
member's approval. `round` numbers a notice's sends; a partial unique index allows one live row per
round, so two clicks (or two requests at once) that both saw round N make one send, and a second
send of a notice is a new round that staff must confirm (elections/mass_sends.py).

The foreign keys name their models by string, so this module imports nothing of ``elections``
(``elections.models`` imports it at its end, for Django to find the model).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class MassSend(models.Model):  # 群发
    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for approval")
        REFUSED = "refused", _("refused")
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")

    notice = models.ForeignKey(
        "elections.Notice", on_delete=models.CASCADE, related_name="mass_sends", verbose_name=_("notice")
    )
    compound = models.ForeignKey(
        "grids.Compound", on_delete=models.CASCADE, related_name="+", verbose_name=_("compound")
    )
    street = models.ForeignKey(
        "grids.Street", on_delete=models.CASCADE, related_name="+", verbose_name=_("street")
    )
    audience = models.CharField(_("audience"), max_length=20)
    round = models.PositiveSmallIntegerField(_("round"))  # 1 for the first send of the notice, then 2, 3…
    resend = models.BooleanField(_("confirmed as a resend"), default=False)
    recipients = models.PositiveIntegerField(_("people"))
    sms_recipients = models.PositiveIntegerField(_("people with a mobile number"))
    segments = models.PositiveSmallIntegerField(_("text messages per person"))
    messages = models.PositiveIntegerField(_("text messages"))
    price = models.DecimalField(_("price per text message (yuan)"), max_digits=10, decimal_places=4)
    cost = models.DecimalField(_("estimated cost (yuan)"), max_digits=14, decimal_places=4)
    month = models.DateField(_("budget month"))  # the first day of the month it counts in
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("approved or refused"), null=True, blank=True)
    note = models.CharField(_("reason"), max_length=300, blank=True)
    job = models.ForeignKey(
        "jobs.Job",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("background job"),
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("mass send")
        verbose_name_plural = _("mass sends")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "round"], condition=~Q(status="refused"), name="mass_send_once_per_round"
            ),
            models.CheckConstraint(condition=Q(round__gte=1), name="mass_send_round_positive"),
        ]
        indexes = [models.Index(fields=["street", "month"])]

    def __str__(self):
        return f"{self.notice_id} #{self.round} ({self.status})"

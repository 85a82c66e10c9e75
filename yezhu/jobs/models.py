"""Long jobs (roll import, paper-ballot import, a big tally, exports) run as Celery tasks and
report their progress here, so staff see a progress bar that updates without reloading."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("kind"), max_length=40)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(default=0, verbose_name=_("items done"))
    total = models.PositiveIntegerField(default=0, verbose_name=_("total"))
    message = models.CharField(_("message"), max_length=300, blank=True)
    params = models.JSONField(default=dict, blank=True, verbose_name=_("parameters"))
    result = models.JSONField(null=True, blank=True, verbose_name=_("result"))
    errors = models.JSONField(default=list, blank=True, verbose_name=_("errors"))
    input_file = models.FileField(upload_to="jobs/in/", blank=True, verbose_name=_("input file"))
    output_file = models.FileField(upload_to="jobs/out/", blank=True, verbose_name=_("output file"))
    #: The person who started it; empty for a job the scheduler started (an election's count at the close).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="jobs",
        null=True,
        blank=True,
        verbose_name=_("created by"),
    )
    compound_id = models.BigIntegerField(null=True, blank=True, verbose_name=_("compound id"))
    election_id = models.BigIntegerField(null=True, blank=True, verbose_name=_("election id"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished"))

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.kind} #{self.pk} {self.status}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, self.done * 100 // self.total)

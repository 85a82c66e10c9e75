"""Users are keyed by a mainland mobile number; staff may also have a password."""

import contextlib

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yezhu.accounts.phone import mask_mobile, normalize_mobile


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, phone: str, password: str | None = None, **extra):
        phone = normalize_mobile(phone)
        user = self.model(phone=phone, **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, phone: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(phone, password, **extra)

    def get_by_natural_key(self, phone):
        with contextlib.suppress(ValueError):
            phone = normalize_mobile(phone)
        return self.get(phone=phone)


class User(AbstractBaseUser, PermissionsMixin):
    phone = models.CharField(_("mobile number"), max_length=11, unique=True)
    phone_verified = models.BooleanField(_("mobile verified"), default=False)
    name = models.CharField(_("name"), max_length=50, blank=True)
    email = models.EmailField(_("email"), blank=True)
    is_staff = models.BooleanField(_("may use the admin site"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.name or self.masked_phone

    @property
    def masked_phone(self) -> str:
        return mask_mobile(self.phone)

    def get_full_name(self):
        return self.name or self.masked_phone

    def get_short_name(self):
        return self.get_full_name()


class SmsMessage(models.Model):
    """Every text message the site sends: the outbox (发件箱).

    The row is written in the same transaction as the change that causes it and a Celery task
    delivers it; a periodic task re-queues what is still waiting, so a message survives a broker
    that is down when it is created. Sending is at most once (yezhu/accounts/sms_outbox.py): the row is
    claimed (`sending`) and committed before a provider is called, and a message left `sending`
    is looked up with the providers and ends `unknown` if none has it, never sent again blindly.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        DELIVERED = "delivered", pgettext_lazy("text message", "delivered")  # 已送达, not 已交付
        FAILED = "failed", _("failed")
        UNKNOWN = "unknown", _("unknown, check with the provider")

    phone = models.CharField(_("mobile number"), max_length=11, db_index=True)
    body = models.TextField(_("text"))
    purpose = models.CharField(_("purpose"), max_length=40, default="login_code")
    # The registered template (one per kind) and its variables: what a provider is sent.
    kind = models.CharField(_("kind"), max_length=20, default="login_code")
    params = models.JSONField(_("template variables"), default=dict, blank=True)
    # What caused the message, for whoever needs its outcome ("delivery:12": a notice's delivery).
    reference = models.CharField(_("reference"), max_length=60, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    provider = models.CharField(_("provider"), max_length=20, blank=True)
    provider_ref = models.CharField(_("provider reference"), max_length=100, blank=True)
    provider_reply = models.CharField(_("provider reply"), max_length=300, blank=True)
    report_code = models.CharField(_("delivery report code"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    reported_at = models.DateTimeField(_("delivery reported"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("text message")
        verbose_name_plural = _("text messages")
        indexes = [
            models.Index(fields=["status", "claimed_at"], name="sms_status_claimed"),
            models.Index(fields=["provider", "provider_ref"], name="sms_provider_ref"),
        ]

    def __str__(self):
        return f"{mask_mobile(self.phone)} {self.get_status_display()}"

    @property
    def out_id(self) -> str:
        """Our reference as the provider echoes it back (Aliyun OutId, Tencent SessionContext)."""
        return f"yz{self.pk}"

"""Users are keyed by a mainland mobile number; staff may also have a password."""

import contextlib

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yezhu.accounts.phone import mask_mobile, normalize_mobile
from yezhu.text import NameField


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
    name = NameField(_("name"), max_length=50, blank=True)
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


class SignInAttempt(models.Model):
    """Tries at one sign-in secret (a pending SMS code, a number's password in a time window).

    Counted by a single conditional UPDATE (`count = count + 1 WHERE count < limit`), so requests
    made at the same moment never read the same count: eight parallel guesses at a code with three
    tries get three comparisons, not eight (yezhu/accounts/attempts.py).
    """

    key = models.CharField(max_length=64, unique=True, verbose_name=_("key"))
    count = models.PositiveIntegerField(default=0, verbose_name=_("count"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("created"))

    class Meta:
        verbose_name = _("sign-in attempt counter")
        verbose_name_plural = _("sign-in attempt counters")

    def __str__(self):
        return f"{self.key[:8]}… {self.count}"


class ApiToken(models.Model):
    """An API token (`Authorization: Token <key>`), listed and revoked by its owner.

    Only a hash of the key is stored; the key is shown once, when it is made. A token ends when
    its owner signs out, and in any case when a session would (SESSION_COOKIE_AGE), unless it was
    made long-lived by staff for a program (a district platform) — then it lives until revoked.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=60, default="default")
    key_hash = models.CharField(max_length=64, unique=True, editable=False, verbose_name=_("key hash"))
    prefix = models.CharField(_("first characters"), max_length=8, editable=False)
    long_lived = models.BooleanField(_("survives sign-out"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["user", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="api_token_unique_name")]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

"""django-allauth adapter: mainland mobile numbers, SMS codes through the outbox, staff 2-step."""

from __future__ import annotations

import contextlib
import time

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yezhu.accounts.attempts import PASSWORD_TRIES, attempt_release, attempt_take, password_key
from yezhu.accounts.models import User
from yezhu.accounts.phone import InvalidMobile, normalize_mobile
from yezhu.accounts.services import sms_queue
from yezhu.hooks import places

# Session key: when the last sign-in code was sent, so the code page can tell an owner whose code
# ran out why they are back there (allauth's view drops an expired code without a word).
CODE_SENT_KEY = "yezhu_login_code_sent_at"
CODE_SENT_TAG = "code-sent"


def signs_in_with_password(user) -> bool:
    """Staff (the admin flag or a staff role over a scope) sign in with password and then a code.

    Grid leaders (楼组长, 网格长) are owners helping their neighbours: they keep the code alone.
    """
    if user is None or user.pk is None:
        return False
    if user.is_staff or user.is_superuser:
        return True
    return places().is_staff(user)


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "incorrect_code": gettext_lazy(
            "The code is not correct. Please check the text message and try again."
        ),
        "staff_use_password": gettext_lazy(
            "This number belongs to a staff account. Staff sign in on the staff page with the "
            "password first, then the code."
        ),
        "too_many_login_attempts": gettext_lazy(
            "Too many attempts. Please wait a few minutes and try again."
        ),
        # The code page after the last wrong try: the code is void, a new one can be asked for at
        # once (docs/guide-owner.md says the same).
        "code_used_up": gettext_lazy(
            "The code was wrong too many times and no longer works. Ask for a new code below."
        ),
    }

    def is_open_for_signup(self, request):
        # Nobody fills in a sign-up form: the first code sent to a number creates its account.
        return False

    def phone_form_field(self, **kwargs):
        kwargs.setdefault("label", _("Mobile number"))
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "placeholder": _("11-digit mobile number"),
                    "autocomplete": "tel",
                    "type": "tel",
                    "inputmode": "numeric",
                }
            ),
        )
        field = super().phone_form_field(**kwargs)
        # allauth expects E.164 (+86…); owners type 138 0013 8000. clean_phone normalises instead.
        field.validators = [v for v in field.validators if getattr(v, "code", "") != "invalid_phone"]
        return field

    def clean_phone(self, phone: str) -> str:
        try:
            return normalize_mobile(phone)
        except InvalidMobile:
            raise forms.ValidationError(
                _("Please enter a valid 11-digit mainland mobile number."), code="invalid_phone"
            ) from None

    def get_user_by_phone(self, phone: str):
        """The active account of this number, or None. Never creates one: a number without an
        account gets its account only once its code is confirmed (yezhu.accounts.views)."""
        try:
            phone = normalize_mobile(phone)
        except InvalidMobile:
            return None
        user = User.objects.filter(phone=phone).first()
        return user if user is not None and user.is_active else None

    def pre_authenticate(self, request, **credentials):
        """A password is checked only while the number has tries left in this five-minute window,
        counted atomically in the database (yezhu/accounts/attempts.py) besides allauth's limit in
        the cache: parallel guesses cannot pass it, and it holds while Redis is down."""
        super().pre_authenticate(request, **credentials)
        login = str(credentials.get("phone") or credentials.get("username") or "")
        with contextlib.suppress(InvalidMobile):
            login = normalize_mobile(login)
        self._password_attempt = password_key(login=login)
        if not attempt_take(key=self._password_attempt, limit=PASSWORD_TRIES):
            raise self.validation_error("too_many_login_attempts")

    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        key = getattr(self, "_password_attempt", None)
        if user is not None and key:
            attempt_release(key=key)  # only failures lock a number
        return user

    def get_phone(self, user):
        if not user.phone:
            return None
        return user.phone, user.phone_verified

    def set_phone(self, user, phone: str, verified: bool):
        user.phone = normalize_mobile(phone)
        user.phone_verified = verified
        user.save(update_fields=["phone", "phone_verified"])

    def set_phone_verified(self, user, phone: str):
        user.phone_verified = True
        user.save(update_fields=["phone_verified"])

    def send_verification_code_sms(self, user, phone: str, code: str, **kwargs):
        if self.request is not None and hasattr(self.request, "session"):
            now = time.time()
            self.request.session[CODE_SENT_KEY] = now
            # "重新获取" on the code page: allauth keeps the first code's clock, so a new code sent
            # at minute four would die a minute later although the text says five minutes.
            stage = getattr(self.request, "_login_stage", None)
            if stage is not None and "at" in stage.state:
                stage.state["at"] = now
        with transaction.atomic():
            sms_queue(
                phone=normalize_mobile(phone),
                kind="login_code",
                params={"code": code, "minutes": str(max(1, settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT // 60))},
                purpose="login_code",
            )

    def send_unknown_account_sms(self, phone: str, **kwargs):
        return None

    def add_message(
        self, request, level, message_template=None, message_context=None, extra_tags="", message=None
    ):
        # "Code sent to 139…" belongs on the code page only: the tag lets the phone page leave it out.
        if message_template == "account/messages/login_code_sent.txt":
            extra_tags = f"{extra_tags} {CODE_SENT_TAG}".strip()
        return super().add_message(
            request, level, message_template, message_context, extra_tags=extra_tags, message=message
        )

    def is_login_by_code_required(self, login) -> bool:
        # Staff hold the keys to whole compounds: a password alone is not enough. A sign-in that
        # was already made with a code needs nothing more (asking again would loop).
        from allauth.account.internal.flows.login import get_authentication_records

        records = get_authentication_records(self.request, login.user)
        if records and records[-1].get("method") == "code":
            return False
        user = login.user
        if user is not None and (signs_in_with_password(user) or user.has_usable_password()):
            return True
        return super().is_login_by_code_required(login)

    def pre_login(self, request, user, **kwargs):
        # Admin access must not rest on the SIM card alone: staff need the password step too. The
        # code page already refuses staff numbers; this also catches a user made staff between
        # asking for a code and typing it.
        from allauth.account.internal.flows.login import get_authentication_records
        from allauth.account.internal.stagekit import clear_login

        methods = {r.get("method") for r in get_authentication_records(request, user)}
        if "password" not in methods and signs_in_with_password(user):
            clear_login(request)
            request.session.pop(CODE_SENT_KEY, None)
            self.add_message(request, messages.ERROR, message=self.error_messages["staff_use_password"])
            return HttpResponseRedirect(reverse("account_login"))
        return super().pre_login(request, user, **kwargs)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """WeChat (yezhu/accounts/wechat): bind after an SMS sign-in, sign in with it afterwards.

    Nobody gets an account from WeChat: the roll knows owners by mobile number, so a WeChat user
    not yet bound to an account is sent to the SMS sign-in, told to bind WeChat once signed in.
    """

    def is_open_for_signup(self, request, sociallogin):
        return False

    def pre_social_login(self, request, sociallogin):
        if sociallogin.is_existing:
            return  # a bound WeChat: AccountAdapter.pre_login still keeps staff to their password
        if sociallogin.state.get("process") == "connect" and request.user.is_authenticated:
            return  # binding to the signed-in account
        messages.info(
            request,
            _(
                "This WeChat is not bound to an account yet. Sign in with your mobile number first, then bind WeChat."
            ),
        )
        raise ImmediateHttpResponse(HttpResponseRedirect(reverse("account_request_login_code")))

    def get_connect_redirect_url(self, request, socialaccount):
        return reverse("home")

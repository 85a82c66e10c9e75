"""django-allauth adapter: mainland mobile numbers, SMS codes through the outbox, staff 2-step."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yezhu.accounts.models import User
from yezhu.accounts.phone import InvalidMobile, normalize_mobile
from yezhu.accounts.services import sms_queue


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "incorrect_code": gettext_lazy(
            "The code is not correct. Please check the text message and try again."
        ),
        "too_many_login_attempts": gettext_lazy(
            "Too many attempts. Please wait a few minutes and try again."
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
        try:
            phone = normalize_mobile(phone)
        except InvalidMobile:
            return None
        user = User.objects.filter(phone=phone).first()
        if user is None:
            user, _created = User.objects.get_or_create(phone=phone)
            if _created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
        return user if user.is_active else None

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
        with transaction.atomic():
            sms_queue(
                phone=normalize_mobile(phone),
                body=_("Your sign-in code is %(code)s, valid for 5 minutes. Do not tell anyone.")
                % {"code": code},
                purpose="login_code",
            )

    def send_unknown_account_sms(self, phone: str, **kwargs):
        return None

    def is_login_by_code_required(self, login) -> bool:
        # Staff hold the keys to whole compounds: a password alone is not enough. A sign-in that
        # was already made with a code needs nothing more (asking again would loop).
        from allauth.account.internal.flows.login import get_authentication_records

        records = get_authentication_records(self.request, login.user)
        if records and records[-1].get("method") == "code":
            return False
        user = login.user
        if user is not None and (user.is_staff or user.has_usable_password()):
            return True
        return super().is_login_by_code_required(login)

"""Sign-in forms (ACCOUNT_FORMS): allauth's, with messages an elderly owner can act on.

allauth's views (and yezhu.accounts.views in front of its code pages) use these forms, which add what
say: that a code ran out and how many tries are left (counted atomically, yezhu/accounts/attempts.py).
"""

from __future__ import annotations

import time

from allauth.account import app_settings as allauth_account_settings
from allauth.account.adapter import get_adapter
from allauth.account.forms import ConfirmLoginCodeForm, LoginForm, RequestLoginCodeForm
from allauth.account.internal.stagekit import unstash_login
from allauth.core import context, ratelimit
from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from yezhu.accounts.adapter import CODE_SENT_KEY
from yezhu.accounts.attempts import take_code_try, tries_left


def _pending_code_state(request) -> dict | None:
    """The state of the code sign-in waiting in this session, or None when there is none."""
    login = unstash_login(request, peek=True)
    if login is None:
        return None
    stages = login.state.get("stages", {})
    if stages.get("current") != "login_by_code":
        return None
    return stages.get("login_by_code", {}).get("data") or None


class PhoneCodeRequestForm(RequestLoginCodeForm):
    """The owner's page: one field, the mobile number."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.code_expired = False
        request = context.request
        if self.is_bound or request is None or not hasattr(request, "session"):
            return
        # Back here after a code was sent but not used: allauth dropped it because it ran out.
        sent_at = request.session.get(CODE_SENT_KEY)
        if sent_at is None:
            return
        state = _pending_code_state(request)
        if state is None or time.time() - state.get("at", 0) > allauth_account_settings.LOGIN_BY_CODE_TIMEOUT:
            request.session.pop(CODE_SENT_KEY, None)
            self.code_expired = True

    def clean_phone(self) -> str:
        """The number, rate-limited; `_user` is its active account or None. Never an error that
        depends on the account: a staff number, an owner's and an unknown one are answered alike
        (yezhu.accounts.views.RequestCodeView decides what the text message says)."""
        adapter = get_adapter()
        phone = self.cleaned_data["phone"]
        if phone:
            self._user = adapter.get_user_by_phone(phone)
            if not ratelimit.consume(context.request, action="request_login_code", key=phone.lower()):
                raise adapter.validation_error("too_many_login_attempts")
        return phone


class PhoneCodeConfirmForm(ConfirmLoginCodeForm):
    """The code page: one field, the six digits, and how many tries are left when they are wrong."""

    code = forms.CharField(
        label=gettext_lazy("Sign-in code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "placeholder": gettext_lazy("6 digits from the text message"),
            }
        ),
    )

    def clean_code(self) -> str:
        stage = getattr(context.request, "_login_stage", None)
        # A try is taken from the atomic counter before the code is compared (yezhu/accounts/attempts.py).
        if stage is not None and not take_code_try(stage):
            raise get_adapter().validation_error("too_many_login_attempts")
        try:
            return super().clean_code()
        except forms.ValidationError:
            left = tries_left(stage) if stage is not None else None
            if left is None or left <= 0:
                raise
            raise forms.ValidationError(
                ngettext(
                    "The code is not correct. Please try again: %(left)d more try.",
                    "The code is not correct. Please try again: %(left)d more tries.",
                    left,
                )
                % {"left": left},
                code="incorrect_code",
            ) from None


class StaffLoginForm(LoginForm):
    """The staff page: mobile number and password; the code follows on the next page."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Staff reset a forgotten password through an administrator, not by e-mail.
        self.fields["password"].help_text = ""
        self.fields["login"].label = _("Mobile number")

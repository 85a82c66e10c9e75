"""Sign-in forms (ACCOUNT_FORMS): allauth's, with messages an elderly owner can act on.

allauth's views are used as they are (its URLs come first); these forms add what its views cannot
say: that a code ran out, how many tries are left, and that staff numbers belong on the staff page.
"""

from __future__ import annotations

import time

from allauth.account import app_settings as allauth_account_settings
from allauth.account.adapter import get_adapter
from allauth.account.forms import ConfirmLoginCodeForm, LoginForm, RequestLoginCodeForm
from allauth.account.internal.stagekit import unstash_login
from allauth.core import context
from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from yezhu.accounts.adapter import CODE_SENT_KEY, signs_in_with_password


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
        phone = super().clean_phone()
        user = getattr(self, "_user", None)
        if phone and signs_in_with_password(user):
            # No code is sent: a staff account must not be opened by the SIM card alone.
            raise get_adapter().validation_error("staff_use_password")
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
        try:
            return super().clean_code()
        except forms.ValidationError:
            left = self._tries_left_after_this_one()
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

    @staticmethod
    def _tries_left_after_this_one() -> int | None:
        stage = getattr(context.request, "_login_stage", None)
        if stage is None:
            return None
        failed = stage.state.get("failed_attempts", 0)
        return allauth_account_settings.LOGIN_BY_CODE_MAX_ATTEMPTS - failed - 1


class StaffLoginForm(LoginForm):
    """The staff page: mobile number and password; the code follows on the next page."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Staff reset a forgotten password through an administrator, not by e-mail.
        self.fields["password"].help_text = ""
        self.fields["login"].label = _("Mobile number")

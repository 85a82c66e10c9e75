"""Sign-in pages that allauth's views cannot do alone, and the development SMS outbox.

The owners' code page (`RequestCodeView`) answers every number the same way: an owner's, a staff
member's and a number with no account get the same redirect to the same code page with the same
"code sent" message, so the page tells nobody which numbers are staff or have an account. What
differs goes by text message to the number itself: an owner gets a code; a number without an
account gets a code too, and its account is made only when that code is confirmed
(`ConfirmCodeView`); a staff member gets no code but a note to sign in on the staff page with the
password. Every guess at a code takes a try from an atomic counter first (yezhu/accounts/attempts.py),
so parallel guesses cannot beat the limit.
"""

from __future__ import annotations

import hmac
import json

from allauth.account.adapter import get_adapter
from allauth.account.internal.stagekit import clear_login
from allauth.account.internal.userkit import user_id_to_str
from allauth.account.views import ConfirmLoginCodeView, RequestLoginCodeView
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.db import transaction
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from yezhu.accounts.adapter import CODE_SENT_KEY, signs_in_with_password
from yezhu.accounts.attempts import tries_left
from yezhu.accounts.masking import masked_body
from yezhu.accounts.models import SmsMessage, User
from yezhu.accounts.services import sms_queue
from yezhu.accounts.sms_reports import record_tencent_reports

#: Set in a pending sign-in's state when the number had no account: the account is made at the
#: confirmation, with the phone the code went to.
NEW_ACCOUNT = "yezhu_new_account"


def _send_new_code(process, phone: str) -> None:
    """A code for a number without an account (allauth sends codes only to existing users)."""
    adapter = get_adapter()
    code = adapter._generate_phone_verification_code_compat(user=None, phone=phone)
    process.state["code"] = code
    adapter.send_verification_code_sms(user=None, phone=phone, code=code)


def _send_staff_note(phone: str) -> None:
    """A staff number asked for a code: no code (staff sign in with the password first), a note."""
    with transaction.atomic():
        sms_queue(
            phone=phone,
            kind="staff_note",
            params={"url": settings.SITE_URL.rstrip("/") + reverse("account_login")},
            purpose="staff_note",
        )


class RequestCodeView(RequestLoginCodeView):
    """The owners' code page: the same answer for every number (see the module docstring)."""

    def form_valid(self, form):
        from allauth.account.internal.flows.login_by_code import LoginCodeVerificationProcess

        phone = form.cleaned_data["phone"]
        user = form._user
        staff = signs_in_with_password(user)
        # A staff member or a number without an account: the pending sign-in has no user, so
        # allauth generates no code for it; what goes out is decided here.
        process = LoginCodeVerificationProcess.initiate(
            request=self.request, user=None if staff or user is None else user, phone=phone
        )
        if user is None:
            process.state[NEW_ACCOUNT] = True
            _send_new_code(process, phone)
            process.persist()
        elif staff:
            _send_staff_note(phone)
        return HttpResponseRedirect(self.get_success_url())


class ConfirmCodeView(ConfirmLoginCodeView):
    """The code page: an atomic try per guess, and the account of a new number made on success."""

    def _resend_form_valid(self, form):
        process = self._process
        if process.user is not None:
            return super()._resend_form_valid(form)
        if process.state.get(NEW_ACCOUNT):
            _send_new_code(process, process.state["phone"])
        process.record_resend()
        process.add_sent_message(
            {"recipient": process.state.get("phone"), "phone": process.state.get("phone")}
        )
        process.persist()
        return HttpResponseRedirect(self.passthrough_next_url(reverse("account_confirm_login_code")))

    def _verify_form_valid(self, form):
        process = self._process
        if process.user is None and process.state.get(NEW_ACCOUNT):
            user, created = User.objects.get_or_create(phone=process.state["phone"])
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            process.state["user_id"] = user_id_to_str(user)
        if process.user is None:  # a staff number's pending sign-in: there was never a code
            return self.form_invalid(form)
        return super()._verify_form_valid(form)

    def form_invalid(self, form):
        if self._action != "resend" and tries_left(self.stage) <= 0:
            # The counter, not the session, decides: parallel guesses each saw "tries left" in
            # the session they read, but the database gave out only the allowed number.
            clear_login(self.request)
            self.request.session.pop(CODE_SENT_KEY, None)
            adapter = get_adapter(self.request)
            adapter.add_message(self.request, messages.ERROR, message=adapter.error_messages["code_used_up"])
            return HttpResponseRedirect(reverse("account_request_login_code"))
        return super().form_invalid(form)


request_code = RequestCodeView.as_view()
confirm_code = ConfirmCodeView.as_view()


@staff_member_required
def sms_outbox(request):
    """The SMS outbox for development: the messages the console backend printed, for staff.

    A sign-in code that still works is masked (yezhu/accounts/masking.py): the codes are printed in
    the terminal that runs the site, and a staff account must not be a way to sign in as an owner.
    """
    if not settings.DEBUG:
        raise Http404
    rows = [(m, masked_body(m)) for m in SmsMessage.objects.all()[:100]]
    return render(request, "accounts/sms_outbox.html", {"rows": rows})


@csrf_exempt
@require_POST
def tencent_sms_report(request, token: str):
    """腾讯云短信 status callback (状态回调): a JSON list of delivery reports.

    Tencent signs nothing, so the address carries a secret (SMS_TENCENT_CALLBACK_TOKEN), compared in
    constant time; the callback is configured in Tencent's console as
    SITE_URL + /sms/reports/tencent/<token>/. Tencent expects {"result": 0, "errmsg": "OK"}.
    """
    expected = settings.SMS_TENCENT_CALLBACK_TOKEN
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        return JsonResponse({"result": 1, "errmsg": "forbidden"}, status=403)
    try:
        items = json.loads(request.body.decode("utf-8") or "[]")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return JsonResponse({"result": 1, "errmsg": "bad json"}, status=400)
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        return JsonResponse({"result": 1, "errmsg": "bad json"}, status=400)
    record_tencent_reports(items)
    return JsonResponse({"result": 0, "errmsg": "OK"})

from allauth.account.signals import user_logged_in
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from yezhu.audit.log import record


@receiver(user_logged_in)
def audit_sign_in(sender, request, user, **kwargs):
    record("sign_in", actor=user, obj=user, request=request, summary="signed in")


@receiver(user_login_failed)
def audit_sign_in_failed(sender, credentials, request=None, **kwargs):
    phone = str(credentials.get("phone") or credentials.get("username") or "")
    masked = f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else ""
    record("sign_in_failed", request=request, summary=f"failed sign-in for {masked}")

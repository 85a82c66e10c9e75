from allauth.account.signals import login_code_rejected, user_logged_in
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_out, user_login_failed
from django.dispatch import receiver

from yezhu.accounts.adapter import CODE_SENT_KEY
from yezhu.accounts.phone import InvalidMobile, normalize_mobile
from yezhu.accounts.services import tokens_end_at_sign_out, user_fill_name
from yezhu.audit.log import record, streets_of_user


@receiver(user_logged_in)
def audit_sign_in(sender, request, user, **kwargs):
    record("sign_in", actor=user, obj=user, summary="signed in", streets=streets_of_user(user))


@receiver(user_logged_in)
def forget_the_sent_code(sender, request, user, **kwargs):
    request.session.pop(CODE_SENT_KEY, None)


@receiver(user_logged_in)
def name_from_the_roll(sender, request, user, **kwargs):
    """An account linked to the roll before names were copied gets the owner's name at sign-in."""
    if user.name:
        return
    name = user.owner_records.order_by("pk").values_list("name", flat=True).first()
    if name and user_fill_name(user_id=user.pk, name=name):
        user.refresh_from_db(fields=["name"])


@receiver(login_code_rejected)
def audit_code_rejected(sender, request, user, last_attempt=False, **kwargs):
    """A wrong code is a failed sign-in like a wrong password (staff and the admin included)."""
    record(
        "sign_in_failed",
        actor=AnonymousUser(),
        summary=f"wrong sign-in code for {user.masked_phone}" + (" (last try)" if last_attempt else ""),
        data={"method": "code", "last_try": bool(last_attempt)},
        streets=streets_of_user(user),
    )


@receiver(login_code_rejected)
def forget_a_dead_code(sender, request, user, last_attempt=False, **kwargs):
    """After the last wrong try the phone page says "too many tries", not "code expired"."""
    if last_attempt:
        request.session.pop(CODE_SENT_KEY, None)


@receiver(user_logged_out)
def audit_sign_out(sender, request, user=None, **kwargs):
    if user is None:
        return
    record("sign_out", actor=user, obj=user, summary="signed out", streets=streets_of_user(user))


def _known_user(phone: str):
    try:
        return get_user_model().objects.filter(phone=normalize_mobile(phone)).first()
    except InvalidMobile:  # not a mobile number at all: nobody's account
        return None


@receiver(user_login_failed)
def audit_sign_in_failed(sender, credentials, request=None, **kwargs):
    phone = str(credentials.get("phone") or credentials.get("username") or "")
    masked = f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else ""
    user = _known_user(phone) if phone else None
    record(
        "sign_in_failed",
        actor=AnonymousUser(),
        summary=f"failed sign-in for {masked}",
        streets=streets_of_user(user) if user is not None else None,
    )


@receiver(user_logged_out)
def end_api_tokens(sender, request, user=None, **kwargs):
    """Signing out ends the user's API tokens, except long-lived ones staff made for a program."""
    if user is None:
        return
    tokens_end_at_sign_out(actor=user)

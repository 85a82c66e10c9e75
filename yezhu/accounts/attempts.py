"""Atomic counters of sign-in tries: how many guesses a code or a password gets, whatever the timing.

allauth keeps a pending code's failed tries in the session, which every request reads and writes
back whole: eight requests sent at once with the same cookie each read "no failed try yet" and
each compare their guess (issue 14: eight parallel guesses beat the three-tries limit). Here a try
is taken before the comparison by one statement the database applies atomically:

    UPDATE accounts_signinattempt SET count = count + 1 WHERE key = %s AND count < %s

It touches the row only while tries are left, so at most `limit` comparisons happen per key, in
any number of processes. A right password gives its try back (`attempt_release`): only failures
lock a number.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from yezhu.accounts.models import SignInAttempt

#: Counters older than this are deleted when a new one is made (codes live minutes, windows 5).
KEEP = timedelta(days=1)
#: The password window: at most PASSWORD_TRIES failures per number in PASSWORD_WINDOW seconds.
PASSWORD_WINDOW = 300
PASSWORD_TRIES = 5


def _key(*parts: object) -> str:
    text = "|".join(str(p) for p in parts)
    return hmac.new(settings.SECRET_KEY.encode(), text.encode(), hashlib.sha256).hexdigest()


def code_key(*, phone: str, user_id: object, initiated_at: float) -> str:
    """One pending code sign-in (its resends included: they share the budget of tries)."""
    return _key("code", phone, user_id, repr(initiated_at))


def password_key(*, login: str, now: float | None = None) -> str:
    window = int((now if now is not None else time.time()) // PASSWORD_WINDOW)
    return _key("password", login, window)


def _ensure(key: str) -> None:
    if SignInAttempt.objects.filter(key=key).exists():
        return
    try:
        with transaction.atomic():
            SignInAttempt.objects.create(key=key)
    except IntegrityError:  # made by a request at the same moment: the same counter
        return
    SignInAttempt.objects.filter(created_at__lt=timezone.now() - KEEP).delete()


def attempt_take(*, key: str, limit: int) -> bool:
    """Take one try: True if it was left (the caller may compare now), False once `limit` are used."""
    _ensure(key)
    return SignInAttempt.objects.filter(key=key, count__lt=limit).update(count=F("count") + 1) == 1


def attempts_used(key: str) -> int:
    return SignInAttempt.objects.filter(key=key).values_list("count", flat=True).first() or 0


def attempt_release(*, key: str) -> None:
    """Give a try back (the password was right)."""
    SignInAttempt.objects.filter(key=key, count__gt=0).update(count=F("count") - 1)


def pending_code_key(stage) -> str:
    """The counter of the pending code sign-in of an allauth login stage."""
    state = stage.state
    return code_key(
        phone=state.get("phone", ""), user_id=state.get("user_id", ""), initiated_at=stage.login.initiated_at
    )


def tries_left(stage) -> int:
    """How many guesses the pending code of this login stage still has."""
    from allauth.account import app_settings

    return max(0, app_settings.LOGIN_BY_CODE_MAX_ATTEMPTS - attempts_used(pending_code_key(stage)))


def take_code_try(stage) -> bool:
    """Take one guess at the pending code of this login stage (False: none left)."""
    from allauth.account import app_settings

    return attempt_take(key=pending_code_key(stage), limit=app_settings.LOGIN_BY_CODE_MAX_ATTEMPTS)

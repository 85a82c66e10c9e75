"""The sign-in storm: owners asking for SMS codes and signing in with them, all at once.

The last evening of a vote, thousands of owners who have never signed in ask for a code. Here
BENCH_SIGNIN_OWNERS owners (default 500; the issue's 2,000 with BENCH_FULL=1) each, on a connection of their own and from an address
of their own (X-Forwarded-For behind one trusted proxy, as behind nginx), open the sign-in page,
ask for a code (the real allauth flow, the per-number and per-address limits, the SMS outbox and
the fake provider `yezhu.sms.OutboxBackend`, which accepts every message), read the code the
provider was handed (the outbox row, as the phone would), and confirm it. BENCH_SIGNIN_CLIENTS
(default 16) owners at a time, against the site under gunicorn as in the rush.

Figures: codes a second (owners through both steps, divided by the wall time), p50/p99 of asking
and of confirming, and `lost`: an owner who was told a code was sent and has no sent message, or
whose correct code did not sign them in (must be 0).
"""

from __future__ import annotations

import http.client
import os
import re
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

from bench import common, rush

OWNERS = int(os.environ.get("BENCH_SIGNIN_OWNERS", "2000" if os.environ.get("BENCH_FULL") == "1" else "500"))
CLIENTS = int(os.environ.get("BENCH_SIGNIN_CLIENTS", "16"))
REQUEST = "/accounts/login/code/"
CONFIRM = "/accounts/login/code/confirm/"
SERVER_ENV = {
    "SMS_BACKEND": "yezhu.sms.OutboxBackend",  # the fake provider: accepts every message
    "TRUSTED_PROXY_COUNT": "1",  # one owner, one address: the limits apply per owner as in production
}
_CODE = re.compile(r"\d{6}")


class _Browser:
    """One owner's browser: one keep-alive connection, its cookies."""

    def __init__(self, port: int, address: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.address = address

    def send(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        headers = {"Host": "127.0.0.1", "X-Forwarded-For": self.address, "Accept-Language": "zh-hans"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, response.getheader("Location") or ""


def _code_of(phone: str) -> str | None:
    from yezhu.accounts.models import SmsMessage

    message = SmsMessage.objects.filter(phone=phone, status=SmsMessage.Status.SENT).order_by("-id").first()
    found = _CODE.search(message.body) if message is not None else None
    return found.group(0) if found else None


def _owner(port: int, i: int, out: dict) -> None:
    from django.db import connection

    phone = f"147{i:08d}"
    browser = _Browser(port, f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}")
    try:
        browser.send("GET", REQUEST)
        token = browser.cookies.get("csrftoken", "")
        start = time.perf_counter()
        status, location = browser.send("POST", REQUEST, {"csrfmiddlewaretoken": token, "phone": phone})
        asked = time.perf_counter() - start
        if status != 302 or not location.endswith(CONFIRM):
            out["refused"].append((i, status))
            return
        code = _code_of(phone)
        if code is None:
            out["lost"].append(i)
            return
        token = browser.cookies.get("csrftoken", token)
        start = time.perf_counter()
        status, location = browser.send("POST", CONFIRM, {"csrfmiddlewaretoken": token, "code": code})
        confirmed = time.perf_counter() - start
        if status != 302 or location.endswith(CONFIRM):
            out["lost"].append(i)
            return
        with out["lock"]:
            out["ask_ms"].append(asked * 1000)
            out["confirm_ms"].append(confirmed * 1000)
            out["done"] += 1
    except (OSError, http.client.HTTPException):
        out["refused"].append((i, 0))
    finally:
        browser.conn.close()
        connection.close()


def collectstatic() -> None:
    """Pages (unlike the API) link static files: production settings want them collected."""
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=common.ROOT,
        env={**rush.server_env(), **SERVER_ENV},
        check=True,
    )


def run(owners: int = OWNERS, clients: int = CLIENTS) -> dict:
    import django.db

    collectstatic()
    django.db.connections.close_all()
    out: dict = {
        "ask_ms": [],
        "confirm_ms": [],
        "done": 0,
        "lost": [],
        "refused": [],
        "lock": threading.Lock(),
    }
    with rush.gunicorn(extra_env=SERVER_ENV) as (port, _proc):
        load_before = os.getloadavg()[0]
        start = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(lambda i: _owner(port, i, out), range(owners)))
        seconds = time.perf_counter() - start
        load_after = os.getloadavg()[0]
    ask, confirm = sorted(out["ask_ms"]), sorted(out["confirm_ms"])
    result = {
        "owners": owners,
        "clients": clients,
        "seconds": round(seconds, 1),
        "codes_per_s": round(out["done"] / seconds, 1) if seconds else 0.0,
        "signed_in": out["done"],
        "lost": len(out["lost"]),
        "refused": len(out["refused"]),
        "refused_sample": out["refused"][:5],
        "ask_p50_ms": round(rush._pct(ask, 50), 1),
        "ask_p99_ms": round(rush._pct(ask, 99), 1),
        "confirm_p50_ms": round(rush._pct(confirm, 50), 1),
        "confirm_p99_ms": round(rush._pct(confirm, 99), 1),
        "load_before": round(load_before, 2),
        "load_after": round(load_after, 2),
    }
    print(
        f"signin_storm {owners} owners: {result['codes_per_s']:.0f} codes/s over {result['seconds']} s "
        f"(ask p50 {result['ask_p50_ms']:.0f} ms, p99 {result['ask_p99_ms']:.0f} ms; confirm p50 "
        f"{result['confirm_p50_ms']:.0f} ms, p99 {result['confirm_p99_ms']:.0f} ms; {result['signed_in']} signed "
        f"in, {result['lost']} lost, {result['refused']} refused; {clients} clients; load {result['load_before']})"
    )
    return result


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(common.ROOT))
    common.setup_django()
    run(int(sys.argv[1]) if len(sys.argv) > 1 else OWNERS)

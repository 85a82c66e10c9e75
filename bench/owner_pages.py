"""An owner's pages on a slow 4G phone: bytes transferred and largest contentful paint (issue 20).

1. A compound of BENCH_PAGES_UNITS units (bench/common.py) and an election in voting with the
   bench's ballot paper (3 matters, a race of 11 candidates for 9 seats), dressed as a real one is
   (`dress_election`: the matters' texts, the candidates' occupations, birth years and short
   biographies; no photos: they come from the object store, not from the site). One owner gets an
   account (a user linked to the owner record, as claiming a home leaves it).
2. The site is served as production serves it: gunicorn, DEBUG=0, the static files collected and
   served by whitenoise with their `.gz`, and the responses compressed as Caddy's `encode gzip`
   compresses them (bench/pages_settings.py, bench/caddy_gzip.py).
3. The owner signs in through the real SMS-code flow (the fake provider; the code is read from the
   outbox as the phone would), which leaves a session cookie.
4. Chromium (Playwright) at 360 × 740 px, a touch phone at device scale 2, through the DevTools
   protocol: `Network.emulateNetworkConditions` (latency 150 ms, 1.6 Mbps down and up = 200,000
   bytes/s), `Emulation.setCPUThrottlingRate` 4, the cache disabled. Every load is a first visit:
   a new browser context (no cache, no open connection) with only the session cookie. One load
   of the home page before them is not counted (Chromium starting its renderer, reading the CJK
   fonts from disk: a phone has done that long before).
5. The home page, the election page, the ballot page, then (after a real online cast by this
   owner, through the service) the receipt page, BENCH_PAGES_LOADS times each (default 3):
   bytes = the sum of `Network.loadingFinished.encodedDataLength` of every request of the page
   (headers included: what crossed the network), LCP = the last 'largest-contentful-paint' entry
   (PerformanceObserver, buffered) read after the load event. The median of the loads is printed
   and written to results.json with the load average.

Targets (issue 20): the ballot page at most 30 KB and an LCP at most 0.8 s.
"""

from __future__ import annotations

import os
import random
import statistics
import time

from bench import common, rush, signin_storm

UNITS = int(os.environ.get("BENCH_PAGES_UNITS", "500"))
LOADS = int(os.environ.get("BENCH_PAGES_LOADS", "3"))
LATENCY_MS = 150
THROUGHPUT = 200_000  # bytes/s: 1.6 Mbps
CPU_SLOWDOWN = 4
VIEWPORT = {"width": 360, "height": 740}
TARGET_BALLOT_KB = 30
TARGET_BALLOT_LCP_S = 0.8
PHONE = "14600000001"
CHROMIUM = "/usr/bin/chromium"  # as tests/e2e/audit.py
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SERVER_ENV = {**signin_storm.SERVER_ENV, "DJANGO_SETTINGS_MODULE": "bench.pages_settings"}

MATTER_TEXTS = [
    (
        "修订《业主大会议事规则》",
        "将《业主大会议事规则》第十二条修改为：业主委员会每季度在小区公告栏和本平台公布一次收支情况，"
        "包括公共收益、维修资金使用和业主委员会工作经费；第二十条修改为：业主委员会会议应当有过半数"
        "委员出席，作出的决定应当经全体委员过半数同意。其余条款不变。修订后的全文见附件，自业主大会"
        "决定公告之日起施行。",
    ),
    (
        "续聘物业服务企业",
        "续聘现物业服务企业为本小区提供物业服务，合同期三年，物业服务费收费标准不变（住宅每月每平方米"
        "二元一角）。新合同增加以下条款：每年由业主委员会组织一次物业服务满意度测评，测评结果低于六十分的，"
        "业主委员会可以提请业主大会解聘。合同草案见附件。",
    ),
    (
        "使用专项维修资金更换三号楼电梯",
        "三号楼两部电梯已运行十八年，经特种设备检验机构检验需要更换。拟使用专项维修资金约八十六万元更换，"
        "费用由三号楼业主按专有部分面积分摊。施工单位由业主委员会公开招标选定，招标结果在小区公示七日。",
    ),
]
OCCUPATIONS = ["退休教师", "会计师", "律师", "工程师", "医生", "社区志愿者", "个体经营者", "公务员（退休）"]
BIO = "在小区住了{years}年，{what}。如当选，将按时公开业主委员会的收支和会议记录，定期听取各楼业主意见。"
WHATS = [
    "参与过两次加装电梯的协调",
    "担任楼组长多年，熟悉每一栋楼",
    "愿意把维修资金的每一笔账目公开",
    "曾组织小区垃圾分类志愿服务",
    "熟悉物业服务合同和招投标",
]

# The LCP entry, read after the load: the buffered entries arrive in a task after `observe`; two
# animation frames later they have all been delivered (and any paint the load caused is in).
_LCP = """() => new Promise(resolve => {
  let last = null;
  const po = new PerformanceObserver(list => { for (const e of list.getEntries()) last = e; });
  po.observe({type: "largest-contentful-paint", buffered: true});
  requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(() => {
    po.disconnect();
    resolve(last && {ms: last.startTime, size: last.size,
                     element: last.element ? last.element.tagName.toLowerCase() +
                       (last.element.className ? "." + String(last.element.className).split(" ")[0] : "") : ""});
  }, 0)));
})"""


def dress_election(election) -> None:
    """Give the bench's ballot paper (common.build_election) the words a real one has."""
    from elections.models import Candidate, Matter

    for (title, text), matter in zip(
        MATTER_TEXTS, Matter.objects.filter(election=election).order_by("position"), strict=False
    ):
        matter.title, matter.text = title, text
        matter.save(update_fields=["title", "text"])
    for i, candidate in enumerate(Candidate.objects.filter(race__election=election).order_by("position")):
        candidate.occupation = OCCUPATIONS[i % len(OCCUPATIONS)]
        candidate.birth_year = 1955 + (i * 7) % 35
        candidate.bio = BIO.format(years=8 + i, what=WHATS[i % len(WHATS)])
        candidate.save(update_fields=["occupation", "birth_year", "bio"])


def prepare():
    """The compound, the election, one owner with an account: (election, user, voter)."""
    from elections.models import Voter
    from grids.models import Owner, Unit
    from yezhu.accounts.models import User

    compound, owners = common.build_compound(UNITS, code="PAGES", seed=7)
    election = common.build_election(compound)
    dress_election(election)
    unit = (
        Unit.objects.filter(compound=compound, status=Unit.Status.DELIVERED, ownerships__isnull=False)
        .order_by("pk")
        .first()
    )
    owner = Owner.objects.filter(ownerships__unit=unit).order_by("pk").first()
    user = User.objects.create_user(PHONE, name=owner.name, phone_verified=True)
    Owner.objects.filter(pk=owner.pk).update(user=user, mobile=PHONE)
    voter = Voter.objects.get(election=election, units=unit)
    return election, user, voter


def sign_in(port: int) -> dict[str, str]:
    """The real SMS-code sign-in over HTTP: the cookies it leaves (the session among them)."""
    browser = signin_storm._Browser(port, "10.20.0.1")
    try:
        browser.send("GET", signin_storm.REQUEST)
        status, location = browser.send(
            "POST",
            signin_storm.REQUEST,
            {"csrfmiddlewaretoken": browser.cookies.get("csrftoken", ""), "phone": PHONE},
        )
        if status != 302 or not location.endswith(signin_storm.CONFIRM):
            raise RuntimeError(f"asking for a code: {status} {location}")
        code = signin_storm._code_of(PHONE)
        if code is None:
            raise RuntimeError("no code in the outbox")
        status, location = browser.send(
            "POST",
            signin_storm.CONFIRM,
            {"csrfmiddlewaretoken": browser.cookies.get("csrftoken", ""), "code": code},
        )
        if status != 302 or location.endswith(signin_storm.CONFIRM):
            raise RuntimeError(f"confirming the code: {status} {location}")
    finally:
        browser.conn.close()
    if "sessionid" not in browser.cookies:
        raise RuntimeError("the sign-in left no session cookie")
    return browser.cookies


def load(browser, url: str, cookies: dict[str, str]) -> dict:
    """One first visit of `url` on the emulated phone: bytes, requests, LCP."""
    context = browser.new_context(
        viewport=VIEWPORT, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    try:
        context.add_cookies(
            [{"name": k, "value": v, "domain": "127.0.0.1", "path": "/"} for k, v in cookies.items()]
        )
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        requests: dict[str, dict] = {}

        def sent(e):
            requests[e["requestId"]] = {"url": e["request"]["url"], "bytes": None, "encoding": ""}

        def received(e):
            if e["requestId"] in requests:
                headers = {k.lower(): v for k, v in e["response"]["headers"].items()}
                requests[e["requestId"]]["encoding"] = headers.get("content-encoding", "")
                requests[e["requestId"]]["status"] = e["response"]["status"]

        def finished(e):
            if e["requestId"] in requests:
                requests[e["requestId"]]["bytes"] = e["encodedDataLength"]

        def failed(e):
            if e["requestId"] in requests:
                requests[e["requestId"]]["bytes"] = 0
                requests[e["requestId"]]["failed"] = e.get("errorText", "")

        cdp.on("Network.requestWillBeSent", sent)
        cdp.on("Network.responseReceived", received)
        cdp.on("Network.loadingFinished", finished)
        cdp.on("Network.loadingFailed", failed)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": LATENCY_MS,
                "downloadThroughput": THROUGHPUT,
                "uploadThroughput": THROUGHPUT,
            },
        )
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        response = page.goto(url, wait_until="load")
        if response is None or response.status != 200 or response.url != url:
            raise RuntimeError(
                f"{url}: {response.status if response else None} at {response.url if response else None}"
            )
        lcp = page.evaluate(_LCP)
        # A request the load event did not wait for (the favicon) is counted once it has finished.
        deadline = time.monotonic() + 10
        while any(r["bytes"] is None for r in requests.values()) and time.monotonic() < deadline:
            page.wait_for_timeout(50)
        done = [r for r in requests.values() if r["bytes"] is not None]
        return {
            "bytes": sum(r["bytes"] for r in done),
            "requests": len(done),
            "html_bytes": next((r["bytes"] for r in done if r["url"] == url), 0),
            "html_encoding": next((r["encoding"] for r in done if r["url"] == url), ""),
            "lcp_s": round(lcp["ms"] / 1000, 3) if lcp else None,
            "lcp_element": lcp["element"] if lcp else "",
            "resources": sorted(
                (r["url"].split("//", 1)[-1].split("/", 1)[-1], r["bytes"], r["encoding"]) for r in done
            ),
        }
    finally:
        context.close()


def measure(browser, name: str, url: str, cookies: dict[str, str], loads: int) -> dict:
    runs = [load(browser, url, cookies) for _ in range(loads)]
    lcps = [r["lcp_s"] for r in runs if r["lcp_s"] is not None]
    result = {
        "kb": round(statistics.median(r["bytes"] for r in runs) / 1024, 1),
        "bytes": int(statistics.median(r["bytes"] for r in runs)),
        "lcp_s": round(statistics.median(lcps), 3) if lcps else None,
        "requests": runs[0]["requests"],
        "html_bytes": runs[0]["html_bytes"],
        "html_encoding": runs[0]["html_encoding"],
        "lcp_element": runs[0]["lcp_element"],
        "resources": runs[0]["resources"],
        "loads": [{"bytes": r["bytes"], "lcp_s": r["lcp_s"]} for r in runs],
        "load": round(os.getloadavg()[0], 2),
    }
    lcp = f"{result['lcp_s']:.2f} s" if result["lcp_s"] is not None else "none"
    print(
        f"owner_pages {name}: {result['kb']:.1f} KB in {result['requests']} requests (HTML {result['html_bytes'] / 1024:.1f} KB "
        f"{result['html_encoding'] or 'uncompressed'}), LCP {lcp} (median of {loads}; {LATENCY_MS} ms, 1.6 Mbps, "
        f"CPU {CPU_SLOWDOWN}x, 360 px; load {result['load']})"
    )
    return result


def cast(election, voter, user) -> str:
    """A real online cast by the owner, through the service: the receipt's code. In a thread of
    its own: Django refuses database calls from the thread where Playwright runs its event loop."""
    from concurrent.futures import ThreadPoolExecutor

    import django.db

    from elections import voting

    def work() -> str:
        try:
            return voting.ballot_cast_online(
                election=election, voter=voter, actor=user, choices=common.random_choices(random.Random(3))
            ).receipt
        finally:
            django.db.connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(work).result()


def run(loads: int = LOADS) -> dict:
    import django.db
    from django.urls import reverse

    build_start = time.perf_counter()
    election, user, voter = prepare()
    build_s = time.perf_counter() - build_start
    signin_storm.collectstatic()
    django.db.connections.close_all()
    from playwright.sync_api import sync_playwright

    pages: dict = {}
    with rush.gunicorn(extra_env=SERVER_ENV) as (port, _proc):
        base = f"http://127.0.0.1:{port}"
        cookies = sign_in(port)
        load_before = os.getloadavg()[0]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                # One load first, not counted: Chromium's first page of a run pays for starting
                # its renderer and reading the CJK fonts from disk, which a phone has done long before.
                load(browser, base + reverse("home"), cookies)
                for name, path in (
                    ("home", reverse("home")),
                    ("election", reverse("elections:detail", args=[election.pk])),
                    ("ballot", reverse("elections:vote", args=[election.pk, voter.pk])),
                ):
                    pages[name] = measure(browser, name, base + path, cookies, loads)
                receipt = cast(election, voter, user)
                path = reverse("elections:receipt", args=[election.pk, receipt])
                pages["receipt"] = measure(browser, "receipt", base + path, cookies, loads)
            finally:
                browser.close()
        load_after = os.getloadavg()[0]
    ballot_page = pages["ballot"]
    met = ballot_page["kb"] <= TARGET_BALLOT_KB and (ballot_page["lcp_s"] or 99) <= TARGET_BALLOT_LCP_S
    print(
        f"owner_pages target: ballot page ≤ {TARGET_BALLOT_KB} KB and LCP ≤ {TARGET_BALLOT_LCP_S} s: "
        f"{ballot_page['kb']:.1f} KB, {ballot_page['lcp_s']} s: {'met' if met else 'MISSED'}"
    )
    return {
        **pages,
        "conditions": {
            "latency_ms": LATENCY_MS,
            "download_bytes_per_s": THROUGHPUT,
            "upload_bytes_per_s": THROUGHPUT,
            "cpu_slowdown": CPU_SLOWDOWN,
            "viewport": VIEWPORT,
            "device_scale_factor": 2,
            "cache": "disabled, new context per load",
            "loads": loads,
            "compression": "Caddy encode gzip (level 5, > 512 bytes, text types) + whitenoise .gz",
        },
        "target": {"ballot_kb": TARGET_BALLOT_KB, "ballot_lcp_s": TARGET_BALLOT_LCP_S, "met": met},
        "units": UNITS,
        "build_s": round(build_s, 1),
        "load_before": round(load_before, 2),
        "load_after": round(load_after, 2),
    }


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(common.ROOT))
    common.setup_django()
    run()

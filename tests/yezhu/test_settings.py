"""Settings come from the environment with safe development defaults."""

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str, **env) -> subprocess.CompletedProcess:
    base = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY"}
    }
    base.update(env)
    base["DJANGO_SETTINGS_MODULE"] = "yezhu.settings"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=base, capture_output=True, text=True, timeout=60
    )


SHOW = (
    "import django; from django.conf import settings; django.setup(); "
    "print(settings.DATABASES['default']['ENGINE']); print(settings.CELERY_TASK_ALWAYS_EAGER); "
    "print(settings.CACHES['default']['BACKEND']); print(settings.LANGUAGE_CODE, settings.TIME_ZONE, settings.USE_TZ)"
)


def test_it_falls_back_to_sqlite_eager_celery_and_local_cache():
    result = run_python(SHOW)
    assert result.returncode == 0, result.stderr
    engine, eager, cache, locale = result.stdout.split("\n")[:4]
    assert engine == "django.db.backends.sqlite3"
    assert eager == "True"
    assert cache.endswith("LocMemCache")
    assert locale == "zh-hans Asia/Shanghai True"


def test_it_uses_postgres_and_redis_when_given_urls():
    result = run_python(
        SHOW, DATABASE_URL="postgres://u@127.0.0.1:5432/x", REDIS_URL="redis://127.0.0.1:6379/3"
    )
    assert result.returncode == 0, result.stderr
    engine, eager, cache, _ = result.stdout.split("\n")[:4]
    assert engine == "django.db.backends.postgresql"
    assert eager == "False"
    assert cache.endswith("RedisCache")


def test_it_refuses_production_without_a_secret_key():
    result = run_python(SHOW, DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_it_reads_the_secret_key_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s" * 60)
    result = run_python(
        "import django; from django.conf import settings; django.setup(); print(settings.SECRET_KEY)",
        DEBUG="0",
        SECRET_KEY_FILE=str(secret),
        ALLOWED_HOSTS="example.org",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "s" * 60


PRODUCTION_SMS = {
    "SMS_BACKEND": "yezhu.sms_providers.AliyunBackend,yezhu.sms_providers.TencentBackend",
    "SMS_ALIYUN_ACCESS_KEY_ID": "LTAI5t",
    "SMS_ALIYUN_ACCESS_KEY_SECRET": "secret",
    "SMS_ALIYUN_TEMPLATE_LOGIN_CODE": "SMS_1:code",
    "SMS_ALIYUN_TEMPLATE_NOTICE": "SMS_2:compound,title,url",
    "SMS_ALIYUN_TEMPLATE_REMINDER": "SMS_3:compound,title,url",
    "SMS_ALIYUN_TEMPLATE_RESULT": "SMS_4:compound,title,url",
    "SMS_ALIYUN_TEMPLATE_STAFF_NOTE": "SMS_5:url",
    "SMS_TENCENT_SECRET_ID": "AKID",
    "SMS_TENCENT_SECRET_KEY": "secret",
    "SMS_TENCENT_SDK_APP_ID": "1400000000",
    "SMS_TENCENT_TEMPLATE_LOGIN_CODE": "100:code,minutes",
    "SMS_TENCENT_TEMPLATE_NOTICE": "101:compound,title,url",
    "SMS_TENCENT_TEMPLATE_REMINDER": "102:compound,title,url",
    "SMS_TENCENT_TEMPLATE_RESULT": "103:compound,title,url",
    "SMS_TENCENT_TEMPLATE_STAFF_NOTE": "104:url",
}


def deploy_check(**overrides) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"} and not k.startswith("SMS_")
    }
    env.update(
        DEBUG="0",
        SECRET_KEY="x" * 20 + "production-secret-key-with-enough-entropy-1234567890",
        SITE_URL="https://yezhu.example.org",
        **PRODUCTION_SMS,
    )
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_deploy_check_refuses_a_local_public_address_and_console_sms():
    """Printed QR codes and SMS links would point at 127.0.0.1, and no owner could get a code."""
    result = deploy_check(SITE_URL="http://127.0.0.1:8000")
    assert result.returncode != 0 and "yezhu.E001" in result.stderr
    result = deploy_check(SMS_BACKEND="yezhu.sms.ConsoleBackend")
    assert result.returncode != 0 and "yezhu.W003" in result.stderr
    result = deploy_check(SMS_TENCENT_TEMPLATE_RESULT="")
    assert result.returncode != 0 and "yezhu.E004" in result.stderr and "result" in result.stderr


def test_it_passes_the_deploy_check_in_production_mode():
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; production never does.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DEBUG="0",
        SECRET_KEY="x" * 20 + "production-secret-key-with-enough-entropy-1234567890",
        SITE_URL="https://yezhu.example.org",
        **PRODUCTION_SMS,
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_compose_file_names_the_production_stack():
    """The whole stack (tests/deploy/test_compose.py checks it against the Compose Specification)."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert set(compose["services"]) == {
        "proxy", "postgres", "redis", "s3", "migrate", "web", "worker", "beat", "backup",
    }  # fmt: skip
    assert compose["services"]["postgres"]["image"].startswith("postgres:16")
    assert compose["services"]["redis"]["image"].startswith("redis:7")
    for name in ("postgres", "redis", "web"):
        assert "healthcheck" in compose["services"][name], name
    assert {"pgdata", "redisdata", "s3data"} <= set(compose["volumes"])


def test_it_refuses_mobile_numbers_in_other_scripts():
    """Arabic-Indic digits match \\d in Python; a mobile number must be ASCII digits only."""
    from yezhu.accounts.phone import is_mobile, normalize_mobile

    assert normalize_mobile("+86 138-0013-8000") == "13800138000"
    assert normalize_mobile("１３８００１３８０００") == "13800138000"
    assert not is_mobile("1٣٨٠٠١٣٨٠٠٠")
    assert not is_mobile("12800138000")


def test_the_compose_file_passes_every_setting_the_operations_guide_asks_for():
    """docs/operations.md §1.1 lists the .env; docker-compose.yml uses every name there, and web,
    worker and beat get the same environment (one anchor)."""
    import re

    guide = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    block = guide.split("### 1.1", 1)[1].split("```", 2)[1]
    names = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", block, re.M))
    assert {"SECRET_KEY", "ID_NUMBER_SALT", "POSTGRES_PASSWORD", "SITE_DOMAIN"} <= names
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    for name in names:
        assert "${" + name in text, name
    environments = [compose["services"][s]["environment"] for s in ("web", "worker", "beat")]
    assert environments[0] == environments[1] == environments[2]


HEALTHZ = (
    "import django; django.setup(); from django.test import Client; c = Client(); "
    "r = c.get('/healthz', HTTP_HOST='127.0.0.1:8000'); print(r.status_code, r.json()['status']); "
    "r = c.get('/', HTTP_HOST='example.org'); print(r.status_code, r.get('Location'))"
)


def test_it_answers_the_container_health_check_in_production(tmp_path):
    """docker-compose.yml's web check asks http://127.0.0.1:8000/healthz: with DEBUG off, another
    allowed host and the HTTPS redirect on, it still gets 200 (and the site still redirects)."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert "http://127.0.0.1:8000/healthz" in " ".join(compose["services"]["web"]["healthcheck"]["test"])
    result = run_python(
        HEALTHZ,
        DEBUG="0",
        SECRET_KEY="x" * 20 + "production-secret-key-with-enough-entropy-1234567890",
        ALLOWED_HOSTS="example.org",
        SECURE_SSL_REDIRECT="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'health.sqlite3'}",
    )
    assert result.returncode == 0, result.stderr
    health, home = result.stdout.splitlines()[:2]
    assert health == "200 ok"
    assert home == "301 https://example.org/"


def test_it_exempts_exactly_the_health_check_from_host_validation(client, db, settings):
    """Only GET /healthz skips the host check and the HTTPS redirect; other paths and methods do not."""
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["example.org"]
    settings.SECURE_SSL_REDIRECT = True
    client.raise_request_exception = False
    response = client.get("/healthz", HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 200
    from django.db import connection

    assert response.json() == {"status": "ok", "database": connection.vendor}
    assert client.get("/healthz", HTTP_HOST="127.0.0.1:8000", secure=True).status_code == 200
    for path in ("/healthz/", "/healthzx", "/"):
        assert client.get(path, HTTP_HOST="127.0.0.1:8000").status_code == 400, path
    assert client.post("/healthz", HTTP_HOST="127.0.0.1:8000").status_code == 400
    assert client.get("/", HTTP_HOST="example.org").status_code == 301


def test_it_reports_an_unreachable_database_as_unhealthy(client, db, settings, monkeypatch):
    """When the database does not answer, /healthz is 503, so the container is marked unhealthy."""
    from django.db import OperationalError

    import yezhu.views

    def down(request):
        raise OperationalError("connection refused")

    monkeypatch.setattr(yezhu.views, "healthz", down)
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["example.org"]
    response = client.get("/healthz", HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 503
    assert response.json()["status"] == "error"


def dockerignore_excludes(path: str) -> bool:
    """Docker's rule: the last matching pattern wins; a pattern matching a folder covers its files;
    `*` stays within one path segment and `**` spans any number of them."""
    import re

    def to_regex(pattern: str) -> re.Pattern:
        out, i = "", 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                out, i = out + "(?:.*/)?", i + 3
            elif pattern.startswith("**", i):
                out, i = out + ".*", i + 2
            elif pattern[i] == "*":
                out, i = out + "[^/]*", i + 1
            elif pattern[i] == "?":
                out, i = out + "[^/]", i + 1
            else:
                out, i = out + re.escape(pattern[i]), i + 1
        return re.compile(out + "(?:/.*)?")

    excluded = False
    for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if to_regex(line.lstrip("!").strip("/")).fullmatch(path):
            excluded = not negate
    return excluded


def test_it_keeps_local_state_out_of_the_docker_image():
    """.dockerignore keeps the virtualenv, the SQLite file, uploads, git history and bench output
    (and secrets and caches) out of the build context that `COPY . .` sends."""
    for path in (
        ".venv/bin/python",
        "db.sqlite3",
        "media/claims/1/deed.jpg",
        ".git/HEAD",
        "bench/out/rush.json",
        ".env",
        "staticfiles/css/site.css",
        "yezhu/__pycache__/settings.cpython-311.pyc",
        "elections/views/__pycache__/public.cpython-311.pyc",
    ):
        assert dockerignore_excludes(path), path


def test_it_still_copies_the_site_into_the_docker_image():
    """The Dockerfile's COPY gets manage.py and every folder the site runs from, file for file."""
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY . ." in dockerfile
    for path in ("manage.py", "pyproject.toml"):
        assert not dockerignore_excludes(path), path
    for folder in ("yezhu", "elections", "grids", "templates", "static", "locale"):
        files = [
            p.relative_to(ROOT).as_posix()
            for p in (ROOT / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".lock"
        ]
        assert files, folder
        kept = [f for f in files if not dockerignore_excludes(f)]
        assert kept == files, (folder, sorted(set(files) - set(kept))[:5])
    assert not dockerignore_excludes("locale/zh_Hans/LC_MESSAGES/django.mo")
    assert not dockerignore_excludes("templates/500.html")


def test_it_keeps_sessions_signed_with_the_previous_key_during_a_rotation():
    """SECRET_KEY_FALLBACKS from the environment: a session cookie signed with the old key is still
    accepted after the rotation (owners are not signed out on the last evening), and not without it."""
    code = (
        "import django; from django.conf import settings; django.setup(); "
        "from django.core import signing; "
        "print(settings.SECRET_KEY_FALLBACKS); "
        "old = signing.dumps('s', key='old-key-' + 'o' * 50); "
        "\ntry:\n    print(signing.loads(old))\nexcept signing.BadSignature:\n    print('refused')"
    )
    rotated = run_python(
        code, DEBUG="1", SECRET_KEY="new-key-" + "n" * 50, SECRET_KEY_FALLBACKS="old-key-" + "o" * 50
    )
    assert rotated.returncode == 0, rotated.stderr
    assert rotated.stdout.splitlines() == [str(["old-key-" + "o" * 50]), "s"]
    cut = run_python(code, DEBUG="1", SECRET_KEY="new-key-" + "n" * 50)
    assert cut.stdout.splitlines() == ["[]", "refused"]

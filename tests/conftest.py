import os

import pytest
from django.conf import settings  # lazy: nothing is read until the first attribute
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# No clock in the property tests: hypothesis' per-example deadline and its "too slow" health
# check measure the machine, and a machine whose cores are busy must still pass (docs/testing.md).
hypothesis_settings.register_profile("yezhu", deadline=None, suppress_health_check=[HealthCheck.too_slow])
# CI must give the same answer for the same commit: there the property tests draw the same
# examples every run (a failure is reproducible and not a coin toss); locally they explore.
hypothesis_settings.register_profile(
    "ci", parent=hypothesis_settings.get_profile("yezhu"), derandomize=True, print_blob=True
)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "yezhu")


def pytest_report_header(config):
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    broker = "redis" if settings.REDIS_URL else "eager (no broker)"
    return [f"yezhu: database backend = {engine}, celery = {broker}"]


@pytest.fixture(autouse=True)
def _fast_and_quiet(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SMS_BACKEND = "yezhu.sms.OutboxBackend"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield


def on_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


requires_postgres = pytest.mark.skipif(
    not on_postgres() and not os.environ.get("CI"),
    reason="needs PostgreSQL (set DATABASE_URL); CI always runs it",
)


@pytest.fixture(autouse=True)
def _celery_eager():
    """Tasks run in-process; the real-worker tests (tests/elections/test_worker.py) switch this off."""
    from yezhu.celery import app

    old = app.conf.task_always_eager
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = old


# A fixed cast, in the healthchecks habit: one street with a compound and its people, and an
# outsider street whose staff must never see the first street's data.


@pytest.fixture
def street(db):
    from tests.factories import StreetFactory

    return StreetFactory(name="湖滨街道")


@pytest.fixture
def compound(street):
    from tests.factories import CommunityFactory, CompoundFactory

    return CompoundFactory(
        community=CommunityFactory(street=street, name="东坡社区"), code="XYLW", name="西园里"
    )


@pytest.fixture
def other_compound(db):
    """A compound in another street."""
    from tests.factories import CommunityFactory, CompoundFactory, StreetFactory

    return CompoundFactory(
        community=CommunityFactory(street=StreetFactory(name="灵隐街道")), code="LYXQ", name="灵隐小区"
    )


@pytest.fixture
def street_staff(street):
    from grids.models import RoleAssignment
    from tests.factories import UserFactory, grant

    user = UserFactory(name="街道干部")
    grant(user, RoleAssignment.Role.STREET_STAFF, street)
    return user


@pytest.fixture
def working_group(compound):
    from grids.models import RoleAssignment
    from tests.factories import UserFactory, grant

    user = UserFactory(name="换届小组成员")
    grant(user, RoleAssignment.Role.WORKING_GROUP, compound)
    return user


@pytest.fixture
def outsider_staff(other_compound):
    """Street staff of the other street."""
    from grids.models import RoleAssignment
    from tests.factories import UserFactory, grant

    user = UserFactory(name="外街道干部")
    grant(user, RoleAssignment.Role.STREET_STAFF, other_compound.community.street)
    return user


CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    """Browser tests need Debian's Chromium, which only root can install (.ci/run does). Outside CI
    on a machine without it they are reported as not run, with the command that fixes that; in CI
    they always run, and a missing browser fails them."""
    if os.path.exists(CHROMIUM) or os.environ.get("CI"):
        return
    marker = pytest.mark.skipif(
        True, reason="Chromium not installed: apt-get install chromium fonts-noto-cjk"
    )
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(marker)

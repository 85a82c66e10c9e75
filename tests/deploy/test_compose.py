"""docker-compose.yml against the Compose Specification's JSON schema (vendored in deploy/compose-spec,
no Docker and no network), and the production stack's promises: a TLS proxy is the only way in and
TRUSTED_PROXY_COUNT matches it, the app is not the table owner, backups run, media go to S3."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "deploy" / "compose-spec" / "compose-spec.json").read_text(encoding="utf-8"))
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def errors(document) -> list[str]:
    validator = jsonschema.Draft201909Validator(SCHEMA)  # the draft the schema names
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def test_the_compose_file_follows_the_compose_specification():
    assert errors(COMPOSE) == []


@pytest.mark.parametrize(
    "breakage",
    [
        lambda c: c["services"]["web"].update(replicas=3),  # not a service key
        lambda c: c["services"]["proxy"].update(ports="443:443"),  # ports is a list
        lambda c: c["services"]["postgres"]["healthcheck"].update(interval=10),  # a duration string
        lambda c: c.update(service={}),  # a typo at the top
    ],
)
def test_the_schema_check_would_catch_a_broken_file(breakage):
    broken = copy.deepcopy(COMPOSE)
    breakage(broken)
    assert errors(broken)


def env(service: str) -> dict:
    return COMPOSE["services"][service]["environment"]


def test_only_the_tls_proxy_is_reachable_from_outside():
    published = {name for name, service in COMPOSE["services"].items() if service.get("ports")}
    assert published == {"proxy"}
    assert COMPOSE["services"]["proxy"]["image"].startswith("caddy:")
    caddyfile = (ROOT / "deploy" / "caddy" / "Caddyfile").read_text(encoding="utf-8")
    assert "reverse_proxy" in caddyfile and "dynamic a" in caddyfile and "name web" in caddyfile


def test_the_app_trusts_exactly_the_one_proxy_in_front():
    for service in ("web", "worker", "beat", "migrate"):
        assert env(service)["TRUSTED_PROXY_COUNT"] == "1", service
        assert env(service)["DEBUG"] == "0"


def test_the_app_connects_as_a_role_that_owns_no_table():
    assert env("web")["DATABASE_URL"].startswith("postgres://${POSTGRES_APP_USER:-yezhu_app}:")
    assert env("migrate")["DATABASE_URL"].startswith("postgres://yezhu:")
    assert env("postgres")["POSTGRES_USER"] == "yezhu"
    assert "db_app_role" in " ".join(COMPOSE["services"]["migrate"]["command"])
    assert "migrate" not in " ".join(COMPOSE["services"]["web"]["command"])
    mounts = COMPOSE["services"]["postgres"]["volumes"]
    assert any("init-roles.sh:/docker-entrypoint-initdb.d/" in m for m in mounts)


def test_media_go_to_a_maintained_s3_compatible_store():
    assert env("web")["AWS_STORAGE_BUCKET_NAME"]
    image = COMPOSE["services"]["s3"]["image"]
    assert "seaweedfs" in image and "minio" not in image.lower()
    assert "media" not in COMPOSE["volumes"]  # no file of the app's on one host's disk


def test_backups_run_with_retention():
    backup = COMPOSE["services"]["backup"]
    assert backup["entrypoint"][-1] == "/deploy/backup/schedule.sh"
    assert backup["environment"]["BACKUP_KEEP_DAYS"] and backup["environment"]["BACKUP_KEEP_MONTHS"]

"""Several OS processes doing something to the database at the same moment (PostgreSQL only).

Each contender is a fresh interpreter running `child` (a script that sets Django up, reads its
JSON arguments from argv[1], touches its "ready" file, waits for the "go" file and prints one JSON
line with its outcome). `race` starts them all, releases them together and returns the outcomes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection

from tests.waiting import wait_until

TIMEOUT = 300  # a ceiling against hanging (tests/waiting.py), never reached when the code works

# The start of every child script: Django on the test database, then the barrier.
PRELUDE = r"""
import json, os, sys
from pathlib import Path
os.environ["DJANGO_SETTINGS_MODULE"] = "yezhu.settings"
import django
from django.conf import settings
django.setup()
args = json.loads(sys.argv[1])
settings.DATABASES["default"].update(args["db"])  # before the first query opens the connection
from django.db import connection

from tests.waiting import wait_until
from tests.waiting import wait_until

def wait_for_go():
    Path(args["ready"]).touch()
    wait_until(Path(args["go"]).exists, timeout=300, what="the go signal", interval=0.001)
"""


def race(child: str, contenders: list[dict], tmp_path: Path) -> list[dict]:
    """Run `PRELUDE + child` once per contender's arguments, all released at once; their outcomes."""
    db = {k: connection.settings_dict[k] for k in ("NAME", "USER", "PASSWORD", "HOST", "PORT")}
    root = Path(settings.BASE_DIR)
    go = tmp_path / "go"
    processes, ready = [], []
    for i, arguments in enumerate(contenders):
        flag = tmp_path / f"ready-{i}"
        ready.append(flag)
        payload = {**arguments, "db": db, "ready": str(flag), "go": str(go)}
        processes.append(
            subprocess.Popen(  # noqa: S603 - our own interpreter and script
                [sys.executable, "-c", PRELUDE + child, json.dumps(payload)],
                cwd=root,
                env={**os.environ, "PYTHONPATH": str(root)},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )

    def all_ready() -> bool:
        assert all(p.poll() is None for p in processes), [p.communicate() for p in processes]
        return all(flag.exists() for flag in ready)

    wait_until(all_ready, timeout=TIMEOUT, what="the contenders to get ready", interval=0.01)
    go.touch()
    outcomes = []
    for process in processes:
        out, err = process.communicate(timeout=TIMEOUT)
        assert process.returncode == 0, err
        outcomes.append(json.loads(out.strip().splitlines()[-1]))
    return outcomes

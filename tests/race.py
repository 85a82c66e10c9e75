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
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

TIMEOUT = 60

# The start of every child script: Django on the test database, then the barrier.
PRELUDE = r"""
import json, os, sys, time
from pathlib import Path
os.environ["DJANGO_SETTINGS_MODULE"] = "yezhu.settings"
import django
from django.conf import settings
django.setup()
args = json.loads(sys.argv[1])
settings.DATABASES["default"].update(args["db"])  # before the first query opens the connection
from django.db import connection

def wait_for_go():
    Path(args["ready"]).touch()
    deadline = time.monotonic() + 60
    while not Path(args["go"]).exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go signal")
        time.sleep(0.001)
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
    deadline = time.monotonic() + TIMEOUT
    while not all(flag.exists() for flag in ready):
        assert time.monotonic() < deadline, "the contenders did not get ready"
        assert all(p.poll() is None for p in processes), [p.communicate() for p in processes]
        time.sleep(0.01)
    go.touch()
    outcomes = []
    for process in processes:
        out, err = process.communicate(timeout=TIMEOUT)
        assert process.returncode == 0, err
        outcomes.append(json.loads(out.strip().splitlines()[-1]))
    return outcomes

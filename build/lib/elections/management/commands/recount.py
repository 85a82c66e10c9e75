"""``manage.py recount BUNDLE.json``: re-count an exported election (RULES.md §4).

Anyone holding a bundle (an auditor, an owner, the street office) can check a published result
without access to the database, so the command touches no model, runs no system or migration
check and needs no migrated database: only ``elections.rules.bundle`` and ``elections.rules.tally``.
"""

from __future__ import annotations

import gc
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from elections.rules.bundle import BundleError, dump_json, read_bundle, recount


class Command(BaseCommand):
    help = (
        "Recount an exported election bundle (yezhu-bundle/1) and print the result (yezhu-result/1) as JSON."
    )

    requires_system_checks: list[str] = []  # no database, no app checks: a bundle is self-contained
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("bundle", help="path to a yezhu-bundle/1 JSON file")

    def handle(self, *args: Any, bundle: str, **options: Any) -> None:
        # Reading a bundle builds ~100,000 small acyclic objects, and every few hundred of them
        # the cyclic garbage collector would walk them again, along with all of Django: on a
        # 20,000-unit compound that is a third of the run time. None of them can form a cycle,
        # so collection is paused while the bundle is read and counted.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            result = recount(read_bundle(bundle))
        except BundleError as error:
            # One plain line, without CommandError's "CommandError:" prefix or colour, so scripts
            # can show it as is; nothing has been written to stdout yet.
            message = " ".join(str(error).splitlines())
            self.stderr.write(message, style_func=lambda line: line)
            sys.exit(1)
        finally:
            if was_enabled:
                gc.enable()
        self.stdout.write(dump_json(result))

"""``manage.py export_bundle ELECTION_ID [-o FILE]``: write an election's ``yezhu-bundle/1``.

Only once voting has closed (counting, or the result published): before that the bundle would
reveal every choice (DESIGN.md: ballot secrecy). ``manage.py recount FILE`` recounts it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from elections.errors import ElectionError
from elections.models import Election
from elections.rules.bundle import dump_json
from elections.services import bundle_for
from elections.voting import bundle_exportable
from yezhu.actors import OPERATOR
from yezhu.audit.log import record


class Command(BaseCommand):
    help = "Export an election as a yezhu-bundle/1 JSON file (after voting has closed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("election_id", type=int)
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args: Any, election_id: int, output: str | None = None, **options: Any) -> None:
        try:
            election = Election.objects.select_related("compound").get(pk=election_id)
        except Election.DoesNotExist:
            raise CommandError(f"no election with id {election_id}") from None
        if not bundle_exportable(election):
            raise CommandError(
                f"election {election_id} is still open or has no frozen roll: "
                "the bundle can be exported only after voting has closed"
            )
        try:
            text = dump_json(bundle_for(election))
        except ElectionError as error:
            raise CommandError(str(error)) from None
        record(
            "bundle.exported",
            obj=election,
            election_id=election.pk,
            compound_id=election.compound_id,
            summary="bundle exported by manage.py export_bundle",
            data={"ballots": election.ballot_count},
            actor=OPERATOR,
        )
        if output:
            Path(output).write_text(text + "\n", encoding="utf-8")
            self.stderr.write(f"wrote {output}")
        else:
            self.stdout.write(text)

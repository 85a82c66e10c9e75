"""Import a housing roll file (房屋清册) into a compound, from the command line.

    python manage.py import_roll XYLW roll.xlsx              # preview: what would change
    python manage.py import_roll XYLW roll.xlsx --commit     # import, all or nothing
    python manage.py import_roll NEW roll.csv --commit --create-compound 西园里 --street 湖滨街道 --community 东坡社区

Errors in the file are printed to stderr, one `第 N 行：…` per line, and the command exits with
status 1 having written nothing. Without --commit nothing is written either: a compound that
--create-compound would create is created inside a transaction that is rolled back.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from grids.models import Compound
from grids.roll_file import RollFileError
from grids.services import RollError, compound_create, import_message, roll_file_import
from yezhu.actors import OPERATOR

SHOWN = 10  # the first changes of each kind printed in a preview


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Preview or import a housing roll file (.xlsx or .csv) into a compound."

    def add_arguments(self, parser):
        parser.add_argument("code", help="the compound's code")
        parser.add_argument("file", help="the roll file, .xlsx or .csv")
        parser.add_argument("--commit", action="store_true", help="write the roll (default: preview only)")
        parser.add_argument("--create-compound", metavar="NAME", help="create the compound if CODE is new")
        parser.add_argument("--street", metavar="NAME", help="street of the new compound")
        parser.add_argument("--community", metavar="NAME", help="community of the new compound")

    def handle(self, *args, code, file, commit, create_compound, street, community, **options):
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as e:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": file, "error": e.strerror}
            ) from e

        compound = Compound.objects.filter(code=code).first()
        if compound is None:
            if not create_compound:
                raise CommandError(
                    _(
                        "No compound has the code %(code)s. To create it, add --create-compound NAME --street NAME --community NAME."
                    )
                    % {"code": code}
                )
            if not street or not community:
                raise CommandError(_("--create-compound needs --street and --community."))

        new_compound = ""
        try:
            with transaction.atomic():
                if compound is None:
                    compound = compound_create(
                        code=code,
                        name=create_compound,
                        street_name=street,
                        community_name=community,
                        actor=OPERATOR,
                    )
                    new_compound = _("New compound %(name)s (%(code)s) in %(street)s, %(community)s.") % {
                        "name": create_compound,
                        "code": code,
                        "street": street,
                        "community": community,
                    }
                done = roll_file_import(
                    compound=compound, data=data, filename=path.name, actor=OPERATOR, commit=commit
                )
                if new_compound:
                    self.stdout.write(new_compound)
                self._print_preview(done.diff)
                if not commit:
                    raise _Rollback
        except RollFileError as e:  # nothing was written: a new compound is rolled back with it
            for line in e.errors:
                self.stderr.write(line)
            self.stderr.write(_("Nothing was imported."))
            sys.exit(1)
        except _Rollback:
            self.stdout.write(_("Preview only: nothing was written. Add --commit to import."))
            return
        except RollError as e:
            raise CommandError(str(e)) from e
        except ValidationError as e:  # e.g. a new compound's code or name too long
            raise CommandError("; ".join(e.messages)) from e
        self.stdout.write(self.style.SUCCESS(import_message(done.diff)))

    def _print_preview(self, diff) -> None:
        out = self.stdout.write
        out(
            _("The file lists %(units)s units and %(owners)s owners.")
            % {"units": diff.units, "owners": diff.owners}
        )
        out(
            _("Added: %(added)s, changed: %(changed)s, removed: %(removed)s, unchanged: %(unchanged)s.")
            % {
                "added": len(diff.added),
                "changed": diff.changed,
                "removed": len(diff.removed),
                "unchanged": diff.unchanged,
            }
        )
        if diff.added:
            out(_("Added units: %(units)s") % {"units": self._codes(diff.added)})
        if diff.area_changed:
            shown = "、".join(f"{c} {old}→{new}" for c, old, new in diff.area_changed[:SHOWN])
            more = "…" if len(diff.area_changed) > SHOWN else ""
            out(_("Area changed: %(units)s") % {"units": shown + more})
        if diff.owners_changed:
            out(_("Owners changed: %(units)s") % {"units": self._codes(diff.owners_changed)})
        if diff.other_changed:
            out(
                _("Type, area source or status changed: %(units)s")
                % {"units": self._codes(diff.other_changed)}
            )
        if diff.removed:
            out(_("Removed units: %(units)s") % {"units": self._codes(diff.removed)})

    @staticmethod
    def _codes(codes: list[str]) -> str:
        return "、".join(codes[:SHOWN]) + ("…" if len(codes) > SHOWN else "")

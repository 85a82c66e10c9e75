"""Print the statutory roll of a compound (RULES.md §1): units that count, total area, heads.

python manage.py roll XYLW          # a readable summary
python manage.py roll XYLW --json   # {"units": 812, "area": "70123.45", "heads": 790}
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from grids.models import Compound, Unit
from grids.roll import compute_roll


class Command(BaseCommand):
    help = "Print the statutory roll of a compound: units that count, total area and heads."

    def add_arguments(self, parser):
        parser.add_argument("code", help="the compound's code")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print JSON (units, area, heads)"
        )

    def handle(self, *args, code, as_json: bool = False, **options):
        compound = Compound.objects.filter(code=code).first()
        if compound is None:
            raise CommandError(_("No compound has the code %(code)s.") % {"code": code})
        roll = compute_roll(compound, with_voters=False)
        if as_json:
            self.stdout.write(json.dumps(roll.as_json(), ensure_ascii=False))
            return
        totals = roll.as_json()
        out = self.stdout.write
        out(f"{compound.name}（{compound.code}）")
        out(_("Units that count: %(units)s") % {"units": totals["units"]})
        out(_("Total area: %(area)s ㎡") % {"area": totals["area"]})
        out(_("Owners (heads): %(heads)s") % {"heads": totals["heads"]})
        if not compound.parking_counts:
            left_out = Unit.objects.filter(compound=compound, kind__in=Unit.NOT_COUNTED_KINDS).count()
            if left_out:
                out(_("Not counted (parking spaces and stalls): %(n)s") % {"n": left_out})

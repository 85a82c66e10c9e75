"""`manage.py verify_chains`: recompute every election's ballot hash chain from the database.

The same check `recount` relies on (elections/rules/chain.py), run over the stored ballots: used
after a restore (deploy/backup/restore.sh) and whenever a database is in doubt. Prints one line per
election and exits non-zero, naming the election and the ballot, at the first chain that breaks.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from elections.models import Ballot, Election
from elections.rules.chain import verify_chain


class Command(BaseCommand):
    help = "Verify every election's ballot hash chain."

    def handle(self, *args, **options):
        broken = []
        elections = Election.objects.order_by("pk").values("pk", "title", "chain_head", "ballot_count")
        for election in elections.iterator():
            ballots = (
                Ballot.objects.filter(election_id=election["pk"])
                .order_by("seq")
                .values("seq", "receipt", "status", "choices", "prev_hash", "hash")
            )
            problem = verify_chain(
                ballots.iterator(chunk_size=2000), head=election["chain_head"], count=election["ballot_count"]
            )
            if problem:
                broken.append(f"election #{election['pk']} {election['title']}: {problem}")
            else:
                self.stdout.write(
                    f"election #{election['pk']}: {election['ballot_count']} ballots, chain verifies"
                )
        if broken:
            raise CommandError("; ".join(broken))
        self.stdout.write(f"{len(elections)} elections verified")

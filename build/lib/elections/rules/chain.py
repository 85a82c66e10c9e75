"""The hash chain of an election's ballots (the ballot board): pure Python, no Django.

Each ballot's hash covers the previous one, so no ballot can be changed, removed or slipped in
without changing every hash after it and the published head. `manage.py recount` and the live
board compute the same hashes with this function.
"""

from __future__ import annotations

import hashlib
import json

#: The "previous hash" of an election's first ballot.
GENESIS = "0" * 64


def chain_hash(*, prev_hash: str, seq: int, receipt: str, status: str, choices: dict) -> str:
    """The hash of one ballot on the board: it covers the previous hash, so no ballot can be
    changed, removed or slipped in without changing every hash after it (and the published head)."""
    payload = json.dumps(
        {"prev": prev_hash, "seq": seq, "receipt": receipt, "status": status, "choices": choices},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()

"""The hash chain of an election's ballots (the ballot board): pure Python, no Django.

Each ballot's hash covers the previous one, so no ballot can be changed, removed or slipped in
without changing every hash after it and the published head. `manage.py recount` and the live
board compute the same hashes with this function.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

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


def verify_chain(ballots: Iterable[Mapping[str, Any]], *, head: str, count: int) -> str:
    """Check an election's stored chain: `ballots` in seq order, each a dict with seq, receipt,
    status, choices, prev_hash and hash. Returns "" when it verifies, else the first break."""
    prev = GENESIS
    seen = 0
    for seen, ballot in enumerate(ballots, start=1):
        if ballot["seq"] != seen:
            return f"ballot #{seen} is missing (found seq {ballot['seq']})"
        if ballot["prev_hash"] != prev:
            return f"ballot seq {seen} does not follow the one before it"
        expected = chain_hash(
            prev_hash=prev,
            seq=ballot["seq"],
            receipt=ballot["receipt"],
            status=ballot["status"],
            choices=ballot["choices"],
        )
        if ballot["hash"] != expected:
            return f"ballot seq {seen} was changed after it was cast"
        prev = expected
    if seen != count:
        return f"{count} ballots recorded, {seen} found"
    if (head or GENESIS) != prev:
        return "the chain head does not match the last ballot"
    return ""


def ballot_chain_choices(status: str, matters: object, races: object) -> dict:
    """The choices a ballot's hash covers, as the bundle writes them: a valid ballot's matters and
    races; nothing for a rejected one (its choices were never recorded)."""
    if status != "valid":
        return {}
    return {"matters": matters if matters is not None else {}, "races": races if races is not None else {}}


def chain_break(links: list[tuple[str, str, dict, str | None]], head: str) -> tuple[int | None, str] | None:
    """Recompute the chain over ``(receipt, status, choices, hash or None)`` in ballot order.

    Returns ``None`` when every given hash and the head match, else ``(index, why)``: the index of
    the first ballot whose given hash does not match what its contents and the ballots before it
    give (it, or one before it, was changed, removed or slipped in), or ``None`` with the reason
    when only the head disagrees.
    """
    prev = GENESIS
    for index, (receipt, status, choices, given) in enumerate(links):
        expected = chain_hash(prev_hash=prev, seq=index + 1, receipt=receipt, status=status, choices=choices)
        if given is not None and given != expected:
            return index, (
                f"hash {given[:16]}… does not match the ballot and the ones before it "
                f"(recomputed {expected[:16]}…): a ballot here or before it was changed, removed or added"
            )
        prev = expected
    if prev != head:
        return None, (
            f"the ballots' hash chain ends in {prev[:16]}…, not the published head {head[:16]}…: "
            "a ballot was changed, removed or added"
        )
    return None

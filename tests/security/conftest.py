"""Fixtures shared by the security tests: the homes of tests/elections/test_voting.py (a single
owner, two co-owners of one home, a buyer of two homes and the developer's unit)."""

from tests.elections.test_voting import homes  # noqa: F401

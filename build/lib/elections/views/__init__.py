"""HTML views of the elections app, one module per feature:

- `manage.py`: staff running an election (/manage/): stages, timeline, working group, matters,
  races, committee register, case file.
- `nominations.py`: nominations, vetting, candidate notice, objections (owners and staff).
- `ballot.py`: the owner's ballot, proxies, receipts.
- `public.py`: the election page, results, ballot board, printable notices.
- `paper.py`: paper ballots (print, double entry, review, import).
- `turnout.py`: turnout for staff, grid leaders and owners.

Each module defines `urlpatterns` (owner-facing, namespace "elections") and/or
`manage_urlpatterns` (staff, namespace "manage").
"""

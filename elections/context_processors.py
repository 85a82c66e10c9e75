"""What every page's header needs from the elections app: the signed-in person's unread notices."""

from __future__ import annotations

from elections.notices import inbox_unread_count


def inbox(request) -> dict:
    """``inbox_unread``: a callable, so the count is queried only by a page that shows the header
    (the template calls it once, in ``{% with %}``), never by the API or a redirect."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox_unread": lambda: inbox_unread_count(user)}

"""What every console reads from a request's path and query the same way: an id in the
path, and the link to the next keyset page.

Consoles import this module; it imports no console.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Protocol

from aiohttp import web

__all__ = ["PageCursor", "next_page_link", "path_int"]


class PageCursor(Protocol):
    def token(self) -> str: ...


def path_int(
    request: web.Request,
    name: str,
    not_found: Callable[[web.Request], web.HTTPException],
    *,
    max_digits: int = 18,
) -> int:
    """The path segment `name` as an integer of at most `max_digits` ASCII digits;
    anything else raises the console's `not_found(request)` (a 404, not a 500)."""
    text = request.match_info.get(name, "")
    if not text.isascii() or not text.isdigit() or len(text) > max_digits:
        raise not_found(request)
    return int(text)


def next_page_link(
    request: web.Request, cursor: PageCursor | None, keep: Collection[str]
) -> str | None:
    """This page's URL with the query parameters named in `keep` and `cursor` as
    `cursor`; None when there is no next page."""
    if cursor is None:
        return None
    query = {k: v for k, v in request.query.items() if k in keep}
    return str(request.rel_url.with_query({**query, "cursor": cursor.token()}))

"""Search what was said: /national/transcripts?q=... over the calls' transcripts.

Each hit shows the phrase in its context with the second it was said; the play button
fetches a signed URL as the calls list does (so every listen is audited by the play
route) and starts the recording at that second.
"""

from __future__ import annotations

from aiohttp import web

from samad_ivr.storage.transcripts import search_transcripts
from samad_ivr.web.app import DEPS
from samad_ivr.web.national.common import national_user, render, visible_centers

MAX_QUERY = 200
SPEAKERS = {"caller": "تماس‌گیرنده", "hotline": "سامانه و مسئول", "mixed": "هر دو سو"}


async def transcripts_page(request: web.Request) -> web.Response:
    user = national_user(request)
    query = " ".join(request.query.get("q", "").split())[:MAX_QUERY]
    hits = []
    if query:
        hits = await search_transcripts(
            request.config_dict[DEPS].pool, query, centers=visible_centers(user)
        )
    return render(
        request, "national/transcripts.html", user, query=query, hits=hits, speakers=SPEAKERS,
        clock=lambda seconds: f"{int(seconds) // 60:02d}:{int(seconds) % 60:02d}",
        enabled=request.config_dict[DEPS].settings.transcription.enabled,
    )  # fmt: skip


def setup_national_transcripts(app: web.Application) -> None:
    app.router.add_get("/national/transcripts", transcripts_page)

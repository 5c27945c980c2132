"""One `TopicCatalog` per web app, shared by the consoles that show topic names.

Each feature that needs it calls `setup_topic_catalog(app)` in its own setup (the first
one creates it), so features do not depend on their order in the composition root.
"""

from __future__ import annotations

from aiohttp import web

from samad_ivr.storage.topics import TopicCatalog, TopicRepository
from samad_ivr.web.app import DEPS

TOPIC_CATALOG = web.AppKey("topic_catalog", TopicCatalog)


def setup_topic_catalog(app: web.Application) -> None:
    if TOPIC_CATALOG not in app:
        app[TOPIC_CATALOG] = TopicCatalog(TopicRepository(app[DEPS].pool))


def topic_catalog(request: web.Request) -> TopicCatalog:
    return request.config_dict[TOPIC_CATALOG]

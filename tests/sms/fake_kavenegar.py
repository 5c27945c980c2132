"""A local server that behaves like Kavenegar's documented REST API.

- `POST /v1/{key}/sms/send.json` (form: receptor, message, sender, localid): the HTTP
  status is always 200; `return.status` says what happened. A repeated `localid` is
  not sent again: the earlier message's entry comes back.
- `POST /v1/{key}/sms/status.json` (form: messageid=1,2,3): entries with `status`.
- Queued answers let a test script 414 (rate limit), 418 (no credit) or garbage.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

API_KEY = "4B6F6E67-SECRET-API-KEY-7A2B"


@dataclass
class FakeKavenegar:
    sent: list[dict[str, str]] = field(default_factory=list)
    by_localid: dict[str, dict[str, Any]] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    script: list[int | str] = field(default_factory=list)  # return.status codes or raw bodies
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(8792343))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/{key}/sms/send.json", self.send)
        app.router.add_post("/v1/{key}/sms/status.json", self.status)
        return app

    @staticmethod
    def _answer(code: int, message: str, entries: list[dict[str, Any]] | None) -> web.Response:
        body = {"return": {"status": code, "message": message}, "entries": entries}
        return web.Response(
            text=json.dumps(body, ensure_ascii=False), content_type="application/json"
        )

    async def send(self, request: web.Request) -> web.Response:
        form = await request.post()
        if request.match_info["key"] != API_KEY:
            return self._answer(403, "کد شناسائی API-Key معتبر نمیباشد", None)
        if self.script:
            scripted = self.script.pop(0)
            if isinstance(scripted, str):
                return web.Response(text=scripted)
            return self._answer(scripted, "خطا", None)
        localid = str(form.get("localid", ""))
        if localid and localid in self.by_localid:
            return self._answer(200, "تایید شد", [self.by_localid[localid]])
        message_id = next(self.ids)
        entry = {
            "messageid": message_id,
            "message": str(form["message"]),
            "status": 1,
            "statustext": "در صف ارسال",
            "sender": str(form.get("sender", "10004346")),
            "receptor": str(form["receptor"]),
            "date": 1356619709,
            "cost": 120,
        }
        self.sent.append({k: str(v) for k, v in form.items()})
        self.statuses[message_id] = 1
        if localid:
            self.by_localid[localid] = entry
        return self._answer(200, "تایید شد", [entry])

    async def status(self, request: web.Request) -> web.Response:
        form = await request.post()
        if request.match_info["key"] != API_KEY:
            return self._answer(403, "invalid key", None)
        entries = []
        for text in str(form.get("messageid", "")).split(","):
            mid = int(text) if text.isdigit() else -1
            code = self.statuses.get(mid, 100)
            entries.append({"messageid": mid, "status": code, "statustext": str(code)})
        return self._answer(200, "تایید شد", entries)

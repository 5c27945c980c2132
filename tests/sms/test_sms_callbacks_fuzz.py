"""The SMS gateway's callbacks (delivery reports and replies) fuzzed (issue 15): any query
string a stranger can send gets a 2xx/4xx answer, never a 5xx."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_from_bytes

from aiohttp import web
from aiohttp.test_utils import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from .conftest import TOKEN
from .test_sms_callbacks import client  # noqa: F401  (fixture)

NAMES = ["id", "type", "answer", "fid", "from", "text", "charset", "coding", "kid", "to"]
VALUES = st.one_of(
    st.sampled_from([b"1", b"2", b"8", b"16", b"-1", b"99999999999999999999", b"UTF-8",
                     b"UTF-16BE", b"+989121234567", b"\xd9\x84\xd8\xba\xd9\x88"]),
    st.binary(max_size=60),
)  # fmt: skip
QUERIES = st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=len(NAMES))


def collect(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """A fixed, derandomized sample (the requests themselves are async)."""
    found: list[Any] = []

    @settings(max_examples=count, derandomize=True, database=None, deadline=None)
    @given(strategy)
    def take(value: Any) -> None:
        found.append(value)

    take()
    return found


def query_string(params: dict[str, bytes]) -> str:
    return "&".join(f"{name}={quote_from_bytes(value)}" for name, value in params.items())


async def test_no_delivery_report_or_reply_of_any_shape_is_a_server_error(
    client: TestClient[web.Request, web.Application],  # noqa: F811
) -> None:
    statuses = set()
    for params in collect(QUERIES, 150):
        for kind in ("dlr", "mo"):
            response = await client.get(f"/sms/kannel/{kind}/{TOKEN}?{query_string(params)}")
            assert response.status < 500, (kind, params, await response.text())
            statuses.add(response.status)
    assert 400 in statuses  # the fuzzing reached the parameter checks

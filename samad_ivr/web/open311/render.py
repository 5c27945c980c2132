"""GeoReport v2 documents in JSON and XML: services, service requests and errors.

Field names and element structure follow the GeoReport v2 specification: a JSON array
of objects, or `<services><service>…`, `<service_requests><request>…` and
`<errors><error><code/><description/></error></errors>`.  Fields we have nothing for
(address, lat/long, media_url, description) are sent empty rather than left out,
because clients of the specification expect every field.  Datetimes are W3C
(ISO 8601) in the center's own time with their offset.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from xml.etree import ElementTree as ET

from samad_ivr.domain.deadlines import deadline_instant
from samad_ivr.domain.lifecycle import STATUS_FA, Status
from samad_ivr.storage.open311 import PublicRequest, PublicService

__all__ = [
    "PREFIX",
    "REQUEST_FIELDS",
    "SERVICE_FIELDS",
    "error_document",
    "request_fields",
    "requests_document",
    "services_document",
]

Value = str | bool | int | None
Fields = Mapping[str, Value]

PREFIX = "/open311/v2"
# In the specification's order.
REQUEST_FIELDS = (
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
    "long", "media_url", "jurisdiction_id",
)  # fmt: skip
SERVICE_FIELDS = (
    "service_code", "service_name", "description", "metadata", "type", "keywords", "group"
)  # fmt: skip

JSON_TYPE = "application/json"
XML_TYPE = "text/xml"


def w3c(instant: datetime, request: PublicRequest) -> str:
    return instant.astimezone(request.tz).isoformat(timespec="seconds")


def request_fields(r: PublicRequest) -> dict[str, Value]:
    """One request as GeoReport v2 fields; nothing here comes from the citizen or the
    staff's free text (status_notes is our own Persian name of the status)."""
    expected = None if r.due_on is None else w3c(deadline_instant(r.due_on, r.tz), r)
    return {
        "service_request_id": r.tracking_code,
        "status": "closed" if r.status is Status.CLOSED else "open",
        "status_notes": STATUS_FA[r.status],
        "service_name": r.topic_name,
        "service_code": r.topic,
        "description": None,
        "agency_responsible": r.agency,
        "service_notice": None,
        "requested_datetime": w3c(r.created_at, r),
        "updated_datetime": w3c(r.updated_at, r),
        "expected_datetime": expected,
        "address": None,
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
        "jurisdiction_id": r.center_code,
    }


def service_fields(s: PublicService) -> dict[str, Value]:
    return {
        "service_code": s.code,
        "service_name": s.name,
        "description": s.name,
        "metadata": False,
        "type": "realtime",
        "keywords": None,
        "group": None,
    }


def _xml_text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _json(items: Sequence[Fields]) -> bytes:
    return json.dumps(list(items), ensure_ascii=False).encode()


def _xml(root: str, item: str, items: Iterable[Fields]) -> bytes:
    top = ET.Element(root)
    for fields in items:
        element = ET.SubElement(top, item)
        for name, value in fields.items():
            ET.SubElement(element, name).text = _xml_text(value)
    body: bytes = ET.tostring(top, encoding="utf-8", xml_declaration=True)
    return body


def document(fmt: str, root: str, item: str, items: Sequence[Fields]) -> tuple[bytes, str]:
    """The body and its content type."""
    if fmt == "xml":
        return _xml(root, item, items), XML_TYPE
    return _json(items), JSON_TYPE


def services_document(fmt: str, services: Iterable[PublicService]) -> tuple[bytes, str]:
    return document(fmt, "services", "service", [service_fields(s) for s in services])


def requests_document(fmt: str, requests: Iterable[PublicRequest]) -> tuple[bytes, str]:
    return document(fmt, "service_requests", "request", [request_fields(r) for r in requests])


def error_document(fmt: str, code: int, description: str) -> tuple[bytes, str]:
    return document(fmt, "errors", "error", [{"code": code, "description": description}])

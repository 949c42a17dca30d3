"""The two formats GeoReport v2 speaks: XML (required by the spec) and JSON (its "Spark"
mapping of the same document). One document, a Python value, renders to either.

XML follows the spec's examples: a list is an element named for the list (services,
service_requests, errors …) holding one element per item (service, request, error …); JSON is
the bare list. Text is UTF-8 with the XML declaration, as the spec requires.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from xml.etree import ElementTree

from django.http import HttpResponse
from django.utils import timezone

FORMATS = ("json", "xml")
CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "xml": "text/xml; charset=utf-8",
}
# List element → item element, as the spec names them.
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def w3c(moment: datetime) -> str:
    """A time as the spec writes it: W3C date-time in the server's zone, with its offset."""
    return timezone.localtime(moment).isoformat(timespec="seconds")


# Characters XML 1.0 cannot carry at all, not even escaped (control characters a citizen's
# text may hold): dropped, or the whole document would not parse.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _append(parent: ElementTree.Element, name: str, value: Any) -> None:
    element = ElementTree.SubElement(parent, name)
    _fill(element, name, value)


def _fill(element: ElementTree.Element, name: str, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _append(element, key, item)
    elif isinstance(value, list | tuple):
        for item in value:
            _append(element, ITEM_NAMES[name], item)
    else:
        element.text = _text(value)


def to_xml(root: str, document: Any) -> bytes:
    element = ElementTree.Element(root)
    _fill(element, root, document)
    return ElementTree.tostring(element, encoding="utf-8", xml_declaration=True)


def to_json(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


def respond(fmt: str, root: str, document: Any, status: int = 200) -> HttpResponse:
    """The document as `fmt` ("json" / "xml"); `root` names its XML root element."""
    body = to_xml(root, document) if fmt == "xml" else to_json(document)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])

"""Public interface of the Open311 service (开放311接口): the GeoReport v2 documents, for
whoever needs them outside HTTP (the views in this package serve them at /open311/v2/).

It publishes no events: a submission is intake's, and announces itself as every case does.
"""

from .documents import (
    Open311Error,
    discovery,
    endpoint_url,
    request_document,
    service_definition,
    service_list,
)

__all__ = [
    "Open311Error",
    "discovery",
    "endpoint_url",
    "request_document",
    "service_definition",
    "service_list",
]

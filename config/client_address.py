"""The client's address (客户端地址): the one answer rate limits, login lockouts (django-axes)
and the access log all use.

Each proxy in front of the app appends the address of its peer to X-Forwarded-For; a client
can write anything before that. So with settings.TRUSTED_PROXY_COUNT proxies (k8s: 1, the
ingress) the client is the entry that many places from the right, and nothing to its left is
read. With none trusted (the default) it is the peer, REMOTE_ADDR. The server must leave
REMOTE_ADDR as the peer (no --proxy-headers): rewriting it from the header's left end is
exactly the forgery this module ignores.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest

_CACHED = "_client_address"


def _normalised(text: str) -> str | None:
    """One spelling per address (IPv6 compressed, IPv4-mapped as IPv4), or None."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)


def _from_headers(request: HttpRequest, peer: str) -> str:
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return peer
    # Repeated headers arrive joined by commas; blanks carry no hop.
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if not hops:
        return peer  # reached without passing a proxy (a probe, a port-forward)
    # Fewer hops than proxies: a proxy wrote every entry there is, the leftmost is the client.
    written_by_trusted_proxy = hops[-min(proxies, len(hops))]
    return _normalised(written_by_trusted_proxy) or peer


def client_address(request: HttpRequest) -> str:
    """The address of the client that sent `request`, worked out once per request."""
    cached = getattr(request, _CACHED, None)
    if cached is None:
        remote = request.META.get("REMOTE_ADDR", "")
        peer = _normalised(remote) or remote
        cached = _from_headers(request, peer)
        setattr(request, _CACHED, cached)
    return cached

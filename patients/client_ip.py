"""The address a request came from, for the access log and the sign-in lockout.

Behind TRUSTED_PROXY_COUNT proxies, each appending the address it was reached from to
X-Forwarded-For, the client's address is the one the first of them saw: that many entries from
the right. Entries further left were written by the client and prove nothing, so they are never
read; with no proxy the header is ignored altogether (anyone can send one) and the connection's
own address is used.
"""

import ipaddress

from django.conf import settings


def client_ip(request) -> str | None:
    """The client's IP address as the trusted proxies (or the connection) report it."""
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < count:
        # Not through every proxy (a health check on the app server itself, say).
        return remote
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote

"""URL hygiene: canonical forms, and which hosts may be fetched."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING_KEYS = {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "ref_src"}


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no fragment, no tracking parameters, no default port."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = f"[{host}]" if ":" in host else host
    if port and not (scheme == "http" and port == 80 or scheme == "https" and port == 443):
        netloc = f"{netloc}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not k.lower().startswith("utm_") and k.lower() not in _TRACKING_KEYS
        ]
    )
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def private_address_of(host: str, port: int = 443) -> str | None:
    """The first private, loopback, link-local or reserved address `host` resolves to, if any."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return None  # the request itself will fail with a clear error
    for info in infos:
        address = str(info[4][0]).split("%")[0]
        if not is_public_address(address):
            return address
    return None

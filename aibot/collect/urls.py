"""URL hygiene: canonical forms, and which hosts may be fetched."""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

_TRACKING_KEYS = {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "ref_src"}


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no fragment, no tracking parameters, no default port.

    Meant for URLs is_web_url accepts; raises ValueError for a port urlsplit cannot read."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = parts.hostname or ""  # lower-cased by urlsplit; an IPv6 zone ("%eth0") keeps its case
    port = parts.port
    netloc = f"[{host}]" if ":" in host else host
    if port and not (scheme == "http" and port == 80 or scheme == "https" and port == 443):
        netloc = f"{netloc}:{port}"
    if parts.username:
        # Quoted: a raw "[", "@" or "/" in it would make another URL ("http://[@0/").
        netloc = quote(parts.username, safe="!$&'()*+,;=%-._~") + f"@{netloc}"
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not k.lower().startswith("utm_") and k.lower() not in _TRACKING_KEYS
        ]
    )
    # White space in the path percent-encoded, as a browser sends it ("/a b #" is "/a%20b").
    path = re.sub(r"\s", lambda m: quote(m.group(0)), parts.path) or "/"
    return urlunsplit((scheme, netloc, path, query, ""))


def is_web_url(url: str) -> bool:
    """An absolute http(s) URL with a host and a usable port: one to fetch and to link to."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # ValueError when out of range or not a number
    except ValueError:  # also a broken IPv6 literal
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname) and port != 0


# IPv6 forms that carry an IPv4 address in their last 32 bits and can deliver to it: IPv4-compatible
# (::a.b.c.d), IPv4-translated (::ffff:0:a.b.c.d) and NAT64's well-known prefix (64:ff9b::/96).
# IPv4-mapped (::ffff:a.b.c.d) and 6to4 (2002::/16) have their own properties.
_CARRIES_IPV4 = tuple(ipaddress.ip_network(n) for n in ("::/96", "::ffff:0:0:0/96", "64:ff9b::/96"))


def is_public_address(address: str) -> bool:
    """True for a globally reachable unicast address; an IPv6 address carrying an IPv4 one is
    judged by that IPv4 address too ("::ffff:127.0.0.1", "2002:7f00:1::", "64:ff9b::a00:1")."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.is_site_local:  # fec0::/10: deprecated, still routed inside some networks
            return False
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is None and any(ip in network for network in _CARRIES_IPV4):
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None and not is_public_address(str(inner)):
            return False
    return ip.is_global and not ip.is_multicast


def first_private(addresses: Iterable[str]) -> str | None:
    """The first of `addresses` (as getaddrinfo gives them) that is not public, if any."""
    for address in addresses:
        if not is_public_address(address.split("%")[0]):
            return address
    return None


def private_address_of(host: str, port: int = 443) -> str | None:
    """The first private, loopback, link-local or reserved address `host` resolves to, if any."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return None  # the request itself will fail with a clear error
    return first_private(str(info[4][0]) for info in infos)

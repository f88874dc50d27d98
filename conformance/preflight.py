"""Before any check: is there a reachable, healthy Directus at the base URL? One line per cause when there is not.

`GET /server/ping` answers `pong` on every Directus; anything else is classified (unknown host, refused, timeout,
untrusted TLS certificate, a server that is not Directus, Directus under a wrong path, rate limiting, a server error)
into a TargetError whose message says what is wrong and what to do. Requests here use a short timeout, so a bad
target is reported within seconds.
"""

from __future__ import annotations

import ssl
from urllib.parse import urlsplit

import httpx

from conformance.client import DirectusClient, error_code
from conformance.errors import TargetError

PREFLIGHT_TIMEOUT_S = 4.0


def check_reachable(client: DirectusClient) -> None:
    """Raise a TargetError unless the base URL answers like Directus."""
    url = client.base_url
    try:
        response = client.request("GET", "/server/ping")
    except httpx.TimeoutException as error:
        raise TargetError(
            f"no answer from {url} within {PREFLIGHT_TIMEOUT_S:.0f} s ({type(error).__name__}): "
            "check the URL and any firewall or proxy in between"
        ) from error
    except httpx.ConnectError as error:
        raise TargetError(describe_connect_error(url, error)) from error
    except httpx.TransportError as error:
        raise TargetError(f"cannot talk to {url} ({type(error).__name__}): check the base URL") from error
    if is_pong(response):
        return
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    if origin != url and is_pong(client.request("GET", f"{origin}/server/ping")):
        raise TargetError(f"Directus answers at {origin}, not under {urlsplit(url).path}: give the base URL {origin}")
    raise TargetError(describe_unexpected_answer(url, response))


def is_pong(response: httpx.Response) -> bool:
    return response.status_code == 200 and response.text.strip() == "pong"


def describe_connect_error(url: str, error: httpx.ConnectError) -> str:
    host = urlsplit(url).hostname
    text = str(error)
    if isinstance(error.__cause__, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in text:
        return (
            f"the TLS certificate of {host} is not trusted: pass --ca-bundle FILE with its CA, "
            "or --insecure to skip verification (not for production)"
        )
    if "Name or service not known" in text or "nodename nor servname" in text or "Temporary failure in name" in text:
        return f"unknown host {host}: check the host name in the base URL"
    if "Connection refused" in text:
        return f"connection refused by {url}: is Directus running and listening there?"
    return f"cannot reach {url} ({text or type(error).__name__}): check the base URL"


def describe_unexpected_answer(url: str, response: httpx.Response) -> str:
    """What an answer that no Directus gives to a set-up request means, and what to do."""
    status = response.status_code
    asked = f"{response.request.method} {response.request.url.path}"
    if status == 429:
        return (
            f"{url} keeps answering 429 Too Many Requests (its rate limiter): wait, raise RATE_LIMITER_POINTS on "
            "the target, or run with fewer workers (-n 1)"
        )
    if status >= 500:
        return f"{url} answered HTTP {status} to {asked}: the server is not healthy; check its logs"
    if status == 404 and error_code(response) == "ROUTE_NOT_FOUND":
        return f"Directus answers at {url} but has no route {asked}: is it behind a path prefix?"
    kind = response.headers.get("content-type", "no content type").split(";")[0]
    return f"{url} does not look like Directus ({asked} answered HTTP {status}, {kind}): check the base URL"

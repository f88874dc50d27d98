"""A real browser for what only a browser can say of cookies: Chromium (Debian's, never downloaded), driven by
Playwright through its executable path.

The browser is a user's: a profile of its own with desktop Chrome's default cookie settings (third-party cookies
allowed), so that what reaches a foreign site is decided by the target's cookie attributes, not by a stricter
setting of the browser (Playwright's default contexts are incognito-like and withhold every cross-site cookie).
Each check gets the same browser with an emptied cookie jar; pages are a page of the target's own origin (its
`/server/ping` answer, a document of that origin) and a page of a foreign site the harness serves on loopback.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from conformance.errors import ConfigError
from conformance.redaction import redact_body, redact_headers, redact_text, register_secret

if TYPE_CHECKING:  # Playwright takes 0.4 s to import: only the processes that run a browser check pay it
    from playwright.sync_api import BrowserContext, Page, Playwright

__all__ = [
    "Browser",
    "Fetched",
    "ForeignSite",
    "Jar",
    "Sent",
    "Visit",
    "find_chromium",
    "foreign_host",
    "same_site_servable",
]

CHROMIUMS = ("/usr/lib/chromium/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
"""Where a Chromium is looked for: Debian's binary itself first (its /usr/bin/chromium wrapper prints noise)."""

LAUNCH_ARGS = (
    "--no-sandbox",  # the suite may run as root (CI containers), where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # no traffic of the browser's own: a closed network refuses it, many connections at a time
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

USERS_COOKIE_SETTINGS = {"profile": {"cookie_controls_mode": 0, "block_third_party_cookies": False}}
"""Desktop Chrome's defaults: third-party cookies allowed, so SameSite alone decides what a foreign site sends."""

PAGE_OF_THE_TARGET = "/server/ping"
"""A document Directus serves at its own origin to anyone (text/html "pong"): the page the checks script."""

FETCH = """async ([url, init]) => {
  try {
    const response = await fetch(url, init);
    const body = response.type === "opaque" ? "" : await response.text();
    return {status: response.status, type: response.type, body: body, error: ""};
  } catch (error) {
    return {status: null, type: "error", body: "", error: String(error)};
  }
}"""


SOCKET = """([url, first]) => new Promise(done => {
  const seen = [];
  const socket = new WebSocket(url);
  const end = () => { socket.close(); done(seen); };
  socket.onopen = () => { seen.push("open"); socket.send(JSON.stringify(first)); };
  socket.onmessage = (event) => { seen.push(event.data); if (JSON.parse(event.data).type !== "ping") end(); };
  socket.onerror = () => { if (!seen.length) { seen.push("refused"); done(seen); } };
  socket.onclose = (event) => { seen.push("closed " + event.code); done(seen); };
  setTimeout(end, 4000);
})"""


def find_chromium(given: str | None) -> Path | None:
    """The Chromium to drive: the one given (a path or a command; a missing one is a ConfigError), else the first
    of CHROMIUMS found, else None (the browser checks SKIP)."""
    if given:
        found = shutil.which(given)
        if found is None:
            raise ConfigError(f"no browser at {given}: give --browser the path of a Chromium or Chrome executable")
        return Path(found)
    return next((Path(found) for name in CHROMIUMS if (found := shutil.which(name))), None)


def foreign_host(target_url: str) -> str:
    """A loopback host of another site than the target's: `localhost` and `127.0.0.1` are two sites to a browser,
    and loopback may reach any address (a public page may not reach a private one, which would hide the cookie
    question behind another refusal)."""
    return "127.0.0.1" if urlsplit(target_url).hostname == "localhost" else "localhost"


def same_site_servable(target_url: str) -> bool:
    """Whether the harness can serve a page of the target's site at another origin: its loopback server at the
    target's own host, on another port (a site ignores the port)."""
    return urlsplit(target_url).hostname in ("127.0.0.1", "localhost")


@dataclass(frozen=True)
class Fetched:
    """What a page's `fetch()` gave the page: status None when it was refused (CORS, network), 0 when opaque."""

    status: int | None
    type: str
    body: str
    error: str

    def line(self) -> str:
        if self.status is None:
            return f"refused to the page ({self.error})"
        shown = f": {redact_body(self.body, limit=200)}" if self.body else ""
        return f"HTTP {self.status} ({self.type}){shown}"


@dataclass(frozen=True)
class Sent:
    """Chromium's own account of one request it sent (DevTools' requestWillBeSentExtraInfo): the Cookie header it
    carried, and each cookie it withheld with the reasons (`SchemefulSameSiteLax`, …)."""

    cookie_header: str
    withheld: dict[str, list[str]]

    def carries(self, name: str) -> bool:
        return any(pair.strip().startswith(f"{name}=") for pair in self.cookie_header.split(";"))

    def line(self) -> str:
        sent = redact_headers([("cookie", self.cookie_header)])[0][1] if self.cookie_header else "none"
        withheld = "; ".join(f"{name} ({', '.join(why)})" for name, why in sorted(self.withheld.items()))
        return f"cookies sent: {sent}; withheld: {withheld or 'none'}"


@dataclass(frozen=True)
class Jar:
    """The browser's cookies for the target, by name: what the browser itself keeps, HttpOnly or not."""

    cookies: dict[str, dict[str, Any]]

    def holds(self, name: str) -> bool:
        """Whether the jar keeps a value for `name` (an emptied cookie holds nothing)."""
        return bool(self.cookies.get(name, {}).get("value"))

    def httponly(self, name: str) -> bool:
        return bool(self.cookies.get(name, {}).get("httpOnly"))

    def line(self) -> str:
        described = [
            f"{name} (value {'[REDACTED]' if c.get('value') else 'empty'}, HttpOnly {c.get('httpOnly')}, "
            f"SameSite {c.get('sameSite')}, Secure {c.get('secure')}, Path {c.get('path')})"
            for name, c in sorted(self.cookies.items())
        ]
        return "browser's cookie jar for the target: " + ("; ".join(described) or "empty")


@dataclass
class Visit:
    """One check's pages in the browser, and the transcript of what they did: a failure's evidence."""

    context: BrowserContext
    target_url: str
    lines: list[str] = field(default_factory=list)

    def open(self, url: str, why: str) -> Page:
        """A page at `url` (`why` says whose origin it is, for the transcript)."""
        page = self.context.new_page()
        response = page.goto(url)
        self.lines.append(f"page:     {url} ({why}): HTTP {response.status if response else '?'}")
        return page

    def fetch(self, page: Page, path: str, *, method: str = "GET", body: Any = None, no_cors: bool = False) -> Fetched:
        """`fetch(target + path, {credentials: "include"})` from `page`, as its script would: a JSON body as
        application/json, or as text/plain in `no_cors` mode (what a foreign page may send without a preflight)."""
        init: dict[str, Any] = {"method": method, "credentials": "include"}
        if body is not None:
            init["body"] = json.dumps(body)
            init["headers"] = {"content-type": "text/plain" if no_cors else "application/json"}
        if no_cors:
            init["mode"] = "no-cors"
        result = Fetched(**page.evaluate(FETCH, [self.target_url + path, init]))
        origin = urlsplit(page.url)
        shown = f" {redact_body(json.dumps(body))}" if body is not None else ""
        self.lines.append(
            f"fetch:    from {origin.scheme}://{origin.netloc}: {method} {path}{shown} "
            f"(credentials include{', no-cors' if no_cors else ''}) → {result.line()}"
        )
        return result

    def sent(self, page: Page, path: str) -> Sent | None:
        """A no-cors GET of the target's `path` from `page`, and what Chromium says it sent with it (None: it did not
        say, which leaves the question open)."""
        devtools = self.context.new_cdp_session(page)
        urls: dict[str, str] = {}
        extras: dict[str, dict[str, Any]] = {}
        devtools.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
        devtools.on("Network.requestWillBeSentExtraInfo", lambda e: extras.__setitem__(e["requestId"], e))
        devtools.send("Network.enable")
        try:
            self.fetch(page, path, no_cors=True)
        finally:
            devtools.detach()
        extra = next((extras.get(i) for i, url in urls.items() if url == self.target_url + path), None)
        if extra is None:
            self.lines.append(f"browser:  no account of what was sent with GET {path}")
            return None
        headers = {k.lower(): v for k, v in extra.get("headers", {}).items()}
        withheld = {
            c["cookie"]["name"]: list(c["blockedReasons"])
            for c in extra.get("associatedCookies", [])
            if c["blockedReasons"]
        }
        sent = Sent(str(headers.get("cookie", "")), withheld)
        self.lines.append(f"browser:  with GET {path} (Sec-Fetch-Site {headers.get('sec-fetch-site')}): {sent.line()}")
        return sent

    def socket(self, page: Page, path: str, first: dict[str, Any]) -> list[str]:
        """What a WebSocket to the target's `path`, opened by `page`'s script, went through: `open`, the answer to
        the `first` message it sends once open, `closed <code>`; or `refused` (bounded: 4 s)."""
        url = "ws" + self.target_url.removeprefix("http") + path
        seen = [str(event) for event in page.evaluate(SOCKET, [url, first])]
        origin = urlsplit(page.url)
        self.lines.append(f"socket:   from {origin.scheme}://{origin.netloc}: {path}, sent {json.dumps(first)}")
        self.lines += [f"          → {redact_body(event, limit=300)}" for event in seen]
        return seen

    def script_cookies(self, page: Page) -> str:
        """What the page's script reads of `document.cookie` (redacted in the transcript)."""
        seen = str(page.evaluate("document.cookie"))
        self.lines.append(f"script:   document.cookie = {redact_text(seen)!r}")
        return seen

    def jar(self) -> Jar:
        """Every cookie the browser keeps for the target's host, whatever its Path (a cookie of a narrower path is
        still the browser's, only not sent everywhere)."""
        host = urlsplit(self.target_url).hostname
        cookies = {c["name"]: dict(c) for c in self.context.cookies() if c.get("domain", "").lstrip(".") == host}
        register_secret(*(str(c.get("value") or "") for c in cookies.values()))
        jar = Jar(cookies)
        self.lines.append(f"jar:      {jar.line()}")
        return jar

    def note(self, line: str) -> None:
        self.lines.append(f"then:     {redact_text(line)}")

    def evidence(self) -> list[str]:
        return [f"browser:  Chromium, a user's profile, at {self.target_url}", *self.lines[-24:]]


class Browser:
    """One Chromium for one process's checks, with a profile of its own; `visit()` empties its jar for a check."""

    def __init__(self, executable: Path, *, ignore_https_errors: bool = False) -> None:
        self.executable = executable
        self.ignore_https_errors = ignore_https_errors  # a target of a private CA (--ca-bundle) or --insecure
        self._profile = Path(tempfile.mkdtemp(prefix="directus-conformance-browser-"))
        self._playwright: Playwright | None = None
        self._context: BrowserContext | None = None

    def __enter__(self) -> Browser:
        (self._profile / "Default").mkdir()
        (self._profile / "Default" / "Preferences").write_text(json.dumps(USERS_COOKIE_SETTINGS))
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        try:
            self._context = self._playwright.chromium.launch_persistent_context(
                self._profile,
                executable_path=self.executable,
                headless=True,
                args=list(LAUNCH_ARGS),
                ignore_https_errors=self.ignore_https_errors,
            )
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def visit(self, target_url: str) -> Visit:
        """A check's visit: no cookies and no pages left of the check before."""
        assert self._context is not None, "enter the Browser first"
        for page in self._context.pages:
            page.close()
        self._context.clear_cookies()
        return Visit(self._context, target_url.rstrip("/"))

    def page(self) -> Page:
        """A new blank page (to read a report in, say)."""
        assert self._context is not None, "enter the Browser first"
        return self._context.new_page()

    def close(self) -> None:
        if self._context is not None:
            self._context.close()  # a persistent context is the browser: closing it stops Chromium
            self._context = None
        if self._playwright is not None:
            self._playwright.stop()
            self._playwright = None
        shutil.rmtree(self._profile, ignore_errors=True)


class ForeignSite:
    """A blank page on loopback: the attacker's page of the checks, at a host of another site than the target's
    (`url`) and, for a target on loopback, at the target's own host on another port (`same_site_url`: the same site,
    another origin, as a sibling subdomain's page would be; None for a target elsewhere)."""

    def __init__(self, target_url: str) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _BlankPage)
        port = self._server.server_address[1]
        self.url = f"http://{foreign_host(target_url)}:{port}/"
        host = urlsplit(target_url).hostname
        self.same_site_url = f"http://{host}:{port}/" if same_site_servable(target_url) else None
        self._thread = threading.Thread(target=self._server.serve_forever, name="foreign-site", daemon=True)

    def __enter__(self) -> ForeignSite:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()


class _BlankPage(BaseHTTPRequestHandler):
    BODY = b"<!doctype html><title>another site</title>"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(self.BODY)))
        self.end_headers()
        self.wfile.write(self.BODY)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the checks' output is theirs."""

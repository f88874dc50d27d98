"""SSO login starts only toward allowed places: `GET /auth/login/<provider>?redirect=` refuses a foreign redirect,
however it is spelt, and the login page keeps cross-origin openers out; a SAML answer posted back to the target
sends nobody to a foreign `RelayState`."""

from __future__ import annotations

import base64
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from conformance.checks.api import DirectusClient, Need, TargetFacts, check, expect, require

BEHAVIOUR = "SSO login redirects"
NEEDS = (Need.SSO_REDIRECT,)
FOREIGN = "evil.example"
SPELLINGS = [
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "http:/\\evil.example",
    "https:evil.example",
    "{origin}@evil.example/",
    "{origin}.evil.example/",
    "https://evil.example#@{host}",
]
"""A foreign place in the spellings URL parsers disagree on (GHSA-cf45-hxwj-4cfj's battery; 10.10 to 11.14 accept
the second, the third and the seventh)."""
OWN_PAGE = "/admin/content"
"""A page of the target itself, relative (so it holds whatever PUBLIC_URL says): a redirect every login accepts."""


def start_login(directus: DirectusClient, facts: TargetFacts, redirect: str | None = None) -> httpx.Response:
    """The first step of an SSO login with the target's first OAuth2/OpenID provider (never followed)."""
    params = {"redirect": redirect} if redirect is not None else {}
    return directus.request("GET", f"/auth/login/{facts.redirecting_provider}", params=params)


def expect_login_refuses(directus: DirectusClient, facts: TargetFacts, redirect: str) -> None:
    """The login starts when asked to come back to the target, and is refused (4xx) when asked to go to `redirect`."""
    require(
        start_login(directus, facts, OWN_PAGE).is_redirect,
        f"the login starts (a redirect to the IdP) when asked to come back to the target itself ({OWN_PAGE})",
    )
    own = urlsplit(directus.base_url)
    foreign = redirect.format(origin=f"{own.scheme}://{own.netloc}", host=own.netloc)
    response = start_login(directus, facts, foreign)
    expect(
        400 <= response.status_code < 500,
        f"a refusal (4xx) of the redirect {foreign!r}: it leads to {FOREIGN} after sign-in",
        response,
    )


@check(
    "SSO-FOREIGN-REDIRECT-REFUSED",
    level="MUST",
    needs=NEEDS,
    refs=("GHSA-fr3w-2p22-6w7p", "CVE-2024-28239", "/configuration/auth#sso", "v5.0.0-10.4.1"),
    title="An SSO login asked to redirect to a foreign origin after sign-in (https://evil.example/) is refused (4xx), "
    "not started",
)
def test_foreign_redirect_is_refused(directus: DirectusClient, target_facts: TargetFacts) -> None:
    expect_login_refuses(directus, target_facts, f"https://{FOREIGN}/")


@check(
    "SSO-REDIRECT-SPELLINGS-REFUSED",
    level="MUST",
    needs=NEEDS,
    refs=("GHSA-cf45-hxwj-4cfj", "CVE-2026-35410", "/configuration/auth#sso", "v5.0.0-10.4.1"),
    title="An SSO login is refused (4xx) for a foreign redirect however it is spelt (protocol-relative, backslashes, "
    "userinfo, a look-alike host)",
)
@pytest.mark.parametrize("redirect", SPELLINGS)
def test_foreign_redirect_spellings_are_refused(
    directus: DirectusClient, target_facts: TargetFacts, redirect: str
) -> None:
    expect_login_refuses(directus, target_facts, redirect)


@check(
    "SSO-LOGIN-ISOLATES-OPENER",
    level="MUST",
    needs=NEEDS,
    refs=("GHSA-8m32-p958-jg99", "CVE-2026-35408", "v5.0.0-3.4.8"),
    title="The SSO login answer carries a Cross-Origin-Opener-Policy that isolates it from a cross-origin opener",
)
def test_sso_login_isolates_its_opener(directus: DirectusClient, target_facts: TargetFacts) -> None:
    response = start_login(directus, target_facts)
    policy = response.headers.get("cross-origin-opener-policy", "")
    expect(
        policy.split(";")[0].strip() in ("same-origin", "same-origin-allow-popups", "noopener-allow-popups"),
        f"Cross-Origin-Opener-Policy: same-origin or same-origin-allow-popups (it is {policy or 'absent'})",
        response,
    )


FORGED_SAML_RESPONSE = base64.b64encode(b"<samlp:Response>forged</samlp:Response>").decode()
"""What anybody can post to a SAML provider's ACS: an answer no IdP signed, which the target must refuse."""


def post_saml_answer(directus: DirectusClient, facts: TargetFacts, relay_state: str) -> httpx.Response:
    """A SAML answer posted back to the target's first SAML provider, as a browser would (never followed)."""
    form = {"SAMLResponse": FORGED_SAML_RESPONSE, "RelayState": relay_state}
    return directus.request("POST", f"/auth/login/{facts.saml_provider}/acs", data=form)


@check(
    "SSO-SAML-RELAY-STATE-STAYS-HOME",
    level="MUST",
    needs=(Need.SAML_LOGIN,),
    refs=("GHSA-3573-4c68-g8cc", "CVE-2026-22032", "/configuration/auth#saml", "v5.0.0-10.4.1"),
    title="A SAML answer posted to the ACS with a foreign RelayState (https://evil.example/) redirects nobody "
    "there, on the error path as on success",
)
def test_saml_relay_state_stays_home(directus: DirectusClient, target_facts: TargetFacts) -> None:
    require(
        post_saml_answer(directus, target_facts, OWN_PAGE).is_redirect,
        f"the ACS redirects a refused answer back to a RelayState on the target itself ({OWN_PAGE}), with its reason",
    )
    response = post_saml_answer(directus, target_facts, f"https://{FOREIGN}/")
    location = urljoin(directus.base_url + "/", response.headers.get("location", ""))
    expect(
        not (response.is_redirect and urlsplit(location).hostname == FOREIGN),
        f"no redirect to {FOREIGN} (a refusal of the RelayState, or a redirect to the target)",
        response,
    )

"""The waivers the embedded target ships with: the published advisories its release is affected by.

The quick start runs the embedded default (Directus 11.17.4), which Directus stopped patching before several 12.x
fixes; its checks for those advisories fail, truthfully. `known-advisories.yaml` waives exactly those failures, each
with its advisory and fixed release, so the quick start exits 0 while the summary lists every one of them as
"affected by GHSA-…: fixed in …" (waived). Strict as any waiver: a waived check that passes fails the run.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from pathlib import Path

from conformance.advisories import Advisory
from conformance.waivers import Waiver, load_waivers

__all__ = ["KNOWN_ADVISORIES_FILE", "known_advisory_waivers", "waiver_reason"]

KNOWN_ADVISORIES_FILE = Path(__file__).with_name("known-advisories.yaml")


def known_advisory_waivers(version: str) -> tuple[Waiver, ...]:
    """The shipped waivers for an embedded Directus of this release."""
    return tuple(w for w in load_waivers(KNOWN_ADVISORIES_FILE) if fnmatchcase(version, w.version))


def waiver_reason(advisory: Advisory) -> str:
    """The reason a known-advisory waiver gives (the file's are checked against it)."""
    return f"known advisory of this release: {advisory.label()}, fixed in {advisory.fixed}"

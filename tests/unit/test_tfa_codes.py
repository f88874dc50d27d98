"""TOTP codes for a live server: a code refused after its window rolled over in flight is sent again, never waited."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import httpx
import pytest

from conformance import totp
from conformance.totp import DirectusTOTP

SECRET = "JBSWY3DPEHPK3PXP"  # 80 bits, as Directus issues


def clock(monkeypatch: pytest.MonkeyPatch, *readings: float) -> None:
    """The TOTP module's clock reads `readings`, one per call (the rest of the process keeps the real one)."""
    times = iter(readings)
    monkeypatch.setattr(totp, "time", SimpleNamespace(time=lambda: next(times)))


def answers_with(status: int, sent: list[str]) -> Callable[[str], httpx.Response]:
    def send(code: str) -> httpx.Response:
        sent.append(code)
        return httpx.Response(status)

    return send


@pytest.mark.parametrize(("status", "readings", "sends"), [(401, (61.0, 61.2), 1), (200, (89.9, 90.1), 1)])
def test_a_code_is_sent_once_unless_refused_across_a_window_end(
    monkeypatch: pytest.MonkeyPatch, status: int, readings: tuple[float, float], sends: int
) -> None:
    clock(monkeypatch, *readings)
    sent: list[str] = []
    totp = DirectusTOTP(SECRET)
    assert totp.sent_with_code(answers_with(status, sent)).status_code == status
    assert sent == [totp.at(readings[0])]


def test_a_code_refused_after_its_window_rolled_over_is_sent_as_the_new_windows_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    totp = DirectusTOTP(SECRET)
    monkeypatch.setattr(totp, "now", lambda: totp.at(90.1))
    clock(monkeypatch, 89.9, 90.1)
    sent: list[str] = []
    totp.sent_with_code(answers_with(401, sent))
    assert sent == [totp.at(89.9), totp.at(90.1)]

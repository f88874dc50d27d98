"""Time-based one-time passwords as Directus issues and checks them."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pyotp

__all__ = ["DirectusTOTP"]


class DirectusTOTP(pyotp.TOTP):
    """pyotp refuses secrets under 112 bits; Directus (otplib) issues 80-bit ones (see TFA-SECRET-LENGTH)."""

    min_secret_length_bits = 80

    def sent_with_code(self, send: Callable[[str], httpx.Response]) -> httpx.Response:
        """`send(code)` with the current code. Directus accepts no neighbouring window: a code refused after its
        window rolled over in flight is sent again as the new window's code (instead of waiting out a window's end)."""
        taken = time.time()
        response = send(self.at(taken))
        if response.is_error and self.window(time.time()) != self.window(taken):
            response = send(self.now())
        return response

    def window(self, at: float) -> int:
        return int(at // self.interval)

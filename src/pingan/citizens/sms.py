"""Sending SMS codes, behind one small interface so that a bureau plugs in its own gateway.

``PINGAN_SMS_SENDER=log`` (the default, for the demo) writes the message to the
``pingan.sms`` log with the number masked; ``module:callable`` names a function taking
``(phone, text)`` that sends it. Pure module (no database)."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable

from pingan.masking import mask_phone

__all__ = ["LogSender", "SmsSender", "sender_for"]

log = logging.getLogger("pingan.sms")


SmsSender = Callable[[str, str], None]
"""Sends ``text`` (second argument) to ``phone`` (first)."""


class LogSender:
    """The demo sender: the message goes to the log (number masked), nothing is sent."""

    sent: list[tuple[str, str]]

    def __init__(self) -> None:
        self.sent = []

    def __call__(self, phone: str, text: str) -> None:
        self.sent.append((phone, text))
        del self.sent[:-100]
        log.warning("SMS (demo sender, not sent) to %s: %s", mask_phone(phone), text)


_LOG = LogSender()


def sender_for(spec: str) -> SmsSender:
    """The sender ``PINGAN_SMS_SENDER`` names (``ValueError`` naming it when it cannot load)."""
    if spec == "log":
        return _LOG
    module, _, name = spec.partition(":")
    try:
        fn: SmsSender = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ValueError(f"PINGAN_SMS_SENDER: cannot load {spec!r} ({exc})") from None
    return fn

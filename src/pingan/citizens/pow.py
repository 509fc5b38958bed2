"""Proof of work for the public forms, with no outside service: the server hands out a
signed challenge; the browser finds a ``counter`` such that ``SHA-256(challenge ":" counter)``
starts with ``bits`` zero bits (about ``2**bits`` hashes: 14 bits are a fraction of a second on
a phone, and make a flood of forms costly); the server checks the signature, the age and the
hash, and spends the challenge once.

A challenge is ``<bits>.<issued unix s>.<nonce>.<mac>`` with an HMAC-SHA256 of the rest under
the session secret: nothing is stored until it is spent. Pure module (no database)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

__all__ = ["CHALLENGE_TTL_S", "issue", "leading_zero_bits", "solve", "verify"]

CHALLENGE_TTL_S = 15 * 60


def _mac(key: bytes, body: str) -> str:
    return hmac.new(key, b"pingan-pow:" + body.encode(), hashlib.sha256).hexdigest()[:32]


def issue(key: bytes, *, bits: int, now_s: float | None = None) -> str:
    """A new challenge of ``bits`` difficulty."""
    body = f"{bits}.{int(now_s if now_s is not None else time.time())}.{secrets.token_hex(8)}"
    return f"{body}.{_mac(key, body)}"


def leading_zero_bits(digest: bytes) -> int:
    """Number of leading zero bits of ``digest``."""
    n = 0
    for byte in digest:
        if byte == 0:
            n += 8
            continue
        return n + 8 - byte.bit_length()
    return n


def verify(key: bytes, challenge: str, counter: str, *, now_s: float | None = None) -> str | None:
    """The nonce of a genuine, fresh and solved challenge (to spend once), else a reason
    starting with ``!``."""
    parts = challenge.split(".")
    if len(parts) != 4 or not counter.isdigit() or len(counter) > 12:
        return "!malformed"
    body = ".".join(parts[:3])
    if not hmac.compare_digest(parts[3], _mac(key, body)):
        return "!forged"
    bits, issued = int(parts[0]), int(parts[1])
    now = now_s if now_s is not None else time.time()
    if now - issued > CHALLENGE_TTL_S or issued > now + 60:
        return "!expired"
    digest = hashlib.sha256(f"{challenge}:{counter}".encode()).digest()
    if leading_zero_bits(digest) < bits:
        return "!unsolved"
    return parts[2]


def solve(challenge: str) -> str:
    """The first counter that solves ``challenge`` (what the browser does; tests and partner
    scripts use it)."""
    bits = int(challenge.split(".")[0])
    n = 0
    while True:
        digest = hashlib.sha256(f"{challenge}:{n}".encode()).digest()
        if leading_zero_bits(digest) >= bits:
            return str(n)
        n += 1

"""Masking of personal data in lists (PIPL data minimisation)."""

from __future__ import annotations

__all__ = ["mask_name", "mask_phone"]


def mask_name(name: str | None) -> str | None:
    """Keep the first character: 张三丰 → 张**, Smith → S****."""
    if not name:
        return name
    return name[0] + "*" * (len(name) - 1)


def mask_phone(phone: str | None) -> str | None:
    """Keep the first 3 and last 4 digits: 13812345678 → 138****5678."""
    if not phone:
        return phone
    digits = [c for c in phone if c.isdigit()]
    if len(digits) < 8:
        return "*" * len(digits)
    return "".join(digits[:3]) + "*" * (len(digits) - 7) + "".join(digits[-4:])

"""Signs (治安星级警示牌): the signed token of a sign's QR code, what its public page shows, and
the print-ready PDF (an HTML page with an inline SVG QR code, printed by headless Chromium).

A token is ``base64url(premises id, rating id) . base64url(HMAC-SHA256(session secret,
"pingan-sign:" + payload)[:16])``: 128 bits of MAC, so a token is neither guessable nor forgeable,
and no row is written to issue one. The public page reads the rating the sign was printed from:
the sign is withdrawn (「已撤销」) once the premises' current rating has fewer stars, when there is
no current rating, or when that rating or a later one of the premises was revoked.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import html
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import segno
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.config import get_settings, session_secret
from pingan.errors import Invalid
from pingan.jurisdictions.models import Jurisdiction
from pingan.places.models import Premises
from pingan.ratings.models import Rating, StationPhone
from pingan.store.base import utcnow

__all__ = [
    "SIZES",
    "PublicSign",
    "make_token",
    "parse_token",
    "public_sign",
    "public_url",
    "sign_html",
    "sign_pdf",
]

SIZES = {"A4": (210, 297), "A3": (297, 420)}
COLOUR_ZH = {"red": "红牌", "yellow": "黄牌", "green": "绿牌"}
COLOUR_HEX = {"red": "#c62828", "yellow": "#f2b600", "green": "#2e7d32"}
_PREFIX = b"pingan-sign:"
_MAC_BYTES = 16


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(payload: bytes) -> bytes:
    key = session_secret(get_settings()).encode()
    return hmac.new(key, _PREFIX + payload, hashlib.sha256).digest()[:_MAC_BYTES]


def make_token(premises_id: int, rating_id: int) -> str:
    """The signed token of a sign printed from ``rating_id``."""
    payload = struct.pack(">II", premises_id, rating_id)
    return f"{_b64(payload)}.{_b64(_mac(payload))}"


def parse_token(token: str) -> tuple[int, int] | None:
    """(premises id, rating id) of a genuine token, else None (no reason given: nothing leaks)."""
    if len(token) > 64 or token.count(".") != 1:
        return None
    head, mac = token.split(".")
    try:
        payload, given = _unb64(head), _unb64(mac)
    except (ValueError, TypeError):
        return None
    if len(payload) != 8 or not hmac.compare_digest(given, _mac(payload)):
        return None
    pid, rid = struct.unpack(">II", payload)
    return int(pid), int(rid)


def public_url(token: str) -> str:
    """``PINGAN_PUBLIC_URL/v/<token>``."""
    return f"{get_settings().public_url.rstrip('/')}/v/{token}"


@dataclass(frozen=True)
class PublicSign:
    """What the public page of a sign shows."""

    name: str
    stars: int
    colour: str
    valid_until: dt.date
    station: str
    phone: str
    status: str  # "valid", "revoked" or "expired"


def _station(session: Session, station_id: int | None) -> tuple[str, str]:
    if station_id is None:
        return "", "110"
    st = session.get(Jurisdiction, station_id)
    ph = session.get(StationPhone, station_id)
    return (st.name_zh if st else ""), (ph.phone if ph else "110")


def public_sign(session: Session, token: str, *, today: dt.date | None = None) -> PublicSign | None:
    """The public view of a sign, or None for a forged or unknown token."""
    ids = parse_token(token)
    if ids is None:
        return None
    pid, rid = ids
    rating = session.get(Rating, rid)
    premises = session.get(Premises, pid)
    if rating is None or premises is None or rating.premises_id != pid:
        return None
    current = session.scalar(
        select(Rating).where(Rating.premises_id == pid, Rating.current.is_(True))
    )
    revoked_later = session.scalar(
        select(Rating.id)
        .where(Rating.premises_id == pid, Rating.id >= rid, Rating.revoked_at.is_not(None))
        .limit(1)
    )
    today = today or utcnow().date()
    if current is None or revoked_later is not None or current.stars < rating.stars:
        status = "revoked"
    elif rating.valid_until < today:
        status = "expired"
    else:
        status = "valid"
    station, phone = _station(session, rating.station_id)
    return PublicSign(
        name=premises.name,
        stars=rating.stars,
        colour=rating.colour,
        valid_until=rating.valid_until,
        station=station,
        phone=phone,
        status=status,
    )


def _qr_svg(url: str) -> str:
    svg = segno.make(url, error="m").svg_inline(border=4, dark="#000", light="#fff", omitsize=True)
    return str(svg)


def sign_html(session: Session, rating: Rating, premises: Premises, *, size: str = "A4") -> str:
    """The print-ready sign as one HTML page (no external resources)."""
    if size not in SIZES:
        raise Invalid("size", f"{size!r} is not a sign size; use A4 or A3")
    w_mm, h_mm = SIZES[size]
    k = w_mm / 210
    url = public_url(make_token(premises.id, rating.id))
    station, phone = _station(session, rating.station_id)
    colour = COLOUR_HEX[rating.colour]
    stars = "★" * rating.stars + "☆" * (5 - rating.stars)
    e = html.escape
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>治安星级 {e(premises.name)}</title><style>
@page {{ size: {w_mm}mm {h_mm}mm; margin: 0 }}
* {{ box-sizing: border-box }}
html, body {{ margin: 0; padding: 0; font-family: "Noto Sans CJK SC", "Noto Serif CJK SC",
  "WenQuanYi Zen Hei", sans-serif; -webkit-print-color-adjust: exact; print-color-adjust: exact }}
.sign {{ width: {w_mm}mm; height: {h_mm}mm; border: {8 * k}mm solid {colour};
  display: flex; flex-direction: column; align-items: center; padding: {10 * k}mm;
  text-align: center }}
.band {{ background: {colour}; color: #fff; width: 100%; padding: {4 * k}mm 0;
  font-size: {16 * k}mm; font-weight: 700; letter-spacing: {2 * k}mm }}
.kind {{ font-size: {9 * k}mm; margin-top: {4 * k}mm; color: {colour}; font-weight: 700 }}
.stars {{ font-size: {24 * k}mm; color: {colour}; line-height: 1.1; margin: {4 * k}mm 0 }}
.name {{ font-size: {11 * k}mm; font-weight: 700; margin: {2 * k}mm 0 }}
.meta {{ font-size: {5.5 * k}mm; margin: {1.5 * k}mm 0 }}
.qr svg {{ width: {62 * k}mm; height: {62 * k}mm }}
.qr {{ margin-top: {5 * k}mm }}
.hint {{ font-size: {4.5 * k}mm; color: #444 }}
</style></head><body><div class="sign">
<div class="band">治安星级单位</div>
<div class="kind">{e(COLOUR_ZH[rating.colour])} · {rating.stars} 星</div>
<div class="stars">{stars}</div>
<div class="name">{e(premises.name)}</div>
<div class="meta">辖区派出所：{e(station)} · 电话 {e(phone)}</div>
<div class="meta">有效期至 {rating.valid_until:%Y年%m月%d日} ·
评定标准 {e(rating.criteria_version)}</div>
<div class="qr">{_qr_svg(url)}</div>
<div class="hint">扫码查验星级真伪与有效状态</div>
</div></body></html>"""


def sign_pdf(session: Session, rating: Rating, premises: Premises, *, size: str = "A4") -> bytes:
    """The sign as PDF bytes (headless Chromium, as the weekly briefing is printed)."""
    from pingan.crime_analysis.report import print_pdf

    page = sign_html(session, rating, premises, size=size)
    with tempfile.TemporaryDirectory(prefix="pingan-sign-") as tmp:
        src, out = Path(tmp) / "sign.html", Path(tmp) / "sign.pdf"
        src.write_text(page, encoding="utf-8")
        print_pdf(src, out)
        return out.read_bytes()

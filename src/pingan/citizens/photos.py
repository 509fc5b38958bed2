"""Photos of online reports: type and size checked, decoded by Pillow, and re-encoded without
any metadata (EXIF, and with it the GPS location of the phone, is dropped; the orientation is
applied first so that the picture stands the right way up). Pure module (no database)."""

from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

from pingan.errors import Invalid

__all__ = ["ALLOWED_TYPES", "MAX_PHOTOS", "MAX_PHOTO_BYTES", "MAX_PIXELS", "clean_photo"]

ALLOWED_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_PHOTOS = 5
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 2048


def clean_photo(raw: bytes, *, field: str = "photos") -> tuple[bytes, str]:
    """The photo re-encoded without metadata, at most 2048 px a side, and its content type.

    Raises ``Invalid(field)`` for an empty or oversized file, a file that is not a JPEG, PNG or
    WebP image (whatever its name or declared type says), or a decompression bomb."""
    if not raw:
        raise Invalid(field, "an empty file is not a photo")
    if len(raw) > MAX_PHOTO_BYTES:
        raise Invalid(field, f"a photo may be at most {MAX_PHOTO_BYTES // (1024 * 1024)} MB")
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            fmt = probe.format or ""
            w, h = probe.size
        if fmt not in ALLOWED_TYPES:
            raise Invalid(field, f"{fmt or 'this file'} is not accepted; send JPEG, PNG or WebP")
        if w * h > MAX_PIXELS:
            raise Invalid(field, f"{w}×{h} pixels is too large a picture")
        with Image.open(io.BytesIO(raw)) as img:
            img.load()
            pic = ImageOps.exif_transpose(img) or img
            pic.thumbnail((MAX_SIDE, MAX_SIDE))
            # a fresh image of the pixels alone: no EXIF, XMP, ICC or text chunks carried over
            bare = Image.new(pic.mode, pic.size)
            bare.paste(pic)
            out = io.BytesIO()
            if fmt == "JPEG":
                bare.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
            elif fmt == "PNG":
                bare.save(out, "PNG", optimize=True)
            else:
                bare.save(out, "WEBP", quality=85)
    except Invalid:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise Invalid(field, "not a readable image; send JPEG, PNG or WebP") from None
    return out.getvalue(), ALLOWED_TYPES[fmt]

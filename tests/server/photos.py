"""Small real images for photo tests, made by Pillow (the library the portal checks them with)."""

from __future__ import annotations

import io

from PIL import Image


def image(kind: str, colour: str = "teal", size: tuple[int, int] = (32, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, kind)
    return out.getvalue()


PNG = image("PNG")
WEBP = image("WEBP", "orange")
JPEG = image("JPEG", "navy")
GIF = image("GIF")

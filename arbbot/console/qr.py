"""The enrolment QR code as inline SVG (segno, pure Python: nothing fetched, no image files)."""

from __future__ import annotations

import segno


def svg(data: str, scale: int = 4) -> str:
    """An inline `<svg>` element encoding `data` (error correction M)."""
    code = segno.make_qr(data, error="m")
    out: str = code.svg_inline(scale=scale, dark="#111", light="#fff")
    return out

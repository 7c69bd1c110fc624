"""Rendering for the public pages: one Jinja environment (autoescape), security headers, QR codes."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import jinja2
import qrcode
from aiohttp import web

ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def page(template: str, status: int = 200, **values: Any) -> web.Response:
    """An HTML answer with a strict CSP, no caching and no referrer (the token is in the path)."""
    response = web.Response(
        text=ENV.get_template(template).render(**values), status=status, content_type="text/html", charset="utf-8"
    )
    response.headers.update(
        {
            "Content-Security-Policy": CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
        }
    )
    return response


def qr_png(url: str) -> bytes:
    """`url` as a QR code PNG (error correction M, 8 px modules)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=2)
    code.add_data(url)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image().save(out, format="PNG")
    return out.getvalue()

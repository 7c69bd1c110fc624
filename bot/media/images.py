"""What a downloaded attachment is (by its bytes, never its name), thumbnails, and copies
without EXIF for anything shown outside the console.

Accepted: pictures Pillow can decode in one of `IMAGE_FORMATS`, and PDF (header `%PDF-`).
Anything else is `Refused`, as is a picture over `MAX_PIXELS` (a decompression bomb).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp", "BMP": "image/bmp"}
PDF_MIME = "application/pdf"
MAX_PIXELS = 60_000_000  # a 12 000 × 5 000 panorama; more is refused before decoding


class Refused(ValueError):
    """Not a picture or PDF we keep; `reason` is an English log word."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Sniffed:
    mime: str
    is_image: bool


def sniff(data: bytes) -> Sniffed:
    """The content type of `data` (Refused when it is not an accepted picture or a PDF)."""
    if data[:1024].lstrip(b"\r\n\t ").startswith(b"%PDF-"):
        return Sniffed(PDF_MIME, False)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                fmt = im.format
                if im.width * im.height > MAX_PIXELS:
                    raise Refused("picture too large in pixels")
                im.verify()
    except Refused:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise Refused("not a picture or PDF") from None
    if fmt not in IMAGE_FORMATS:
        raise Refused(f"picture format {fmt} not accepted")
    return Sniffed(IMAGE_FORMATS[fmt], True)


def _open_upright(data: bytes, draft: int | None = None) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    if draft and im.format == "JPEG":
        im.draft("RGB", (draft, draft))  # decode a JPEG at reduced scale: a thumbnail needs no more
    im.load()
    return ImageOps.exif_transpose(im)  # apply the camera's rotation before EXIF is dropped


def thumbnail(data: bytes, size: int = 320) -> bytes:
    """A JPEG at most `size` px on its longest side, upright, without any metadata."""
    im = _open_upright(data, draft=size * 2)
    im.thumbnail((size, size))
    out = io.BytesIO()
    im.convert("RGB").save(out, "JPEG", quality=80)
    return out.getvalue()


def without_metadata(data: bytes) -> bytes:
    """The picture re-encoded without EXIF (GPS position, camera, time) or other metadata:
    what any output outside the console must use (public pages, exports, chat). JPEG stays
    JPEG; other formats become PNG."""
    with Image.open(io.BytesIO(data)) as src:
        fmt = src.format
    im = _open_upright(data)
    out = io.BytesIO()
    if fmt == "JPEG" or im.mode == "CMYK":
        im.convert("RGB").save(out, "JPEG", quality=90)
    else:
        im.save(out, "PNG")  # Pillow writes EXIF and text chunks only when asked to
    return out.getvalue()

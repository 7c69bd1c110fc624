"""Text files the admin provides (config, roster CSV, jieba user dictionary, keyword TOML):
UTF-8 with or without a byte-order mark, UTF-16 with a BOM, or GB18030 (what Excel and
Notepad save on Chinese Windows, a superset of GBK and GB2312). Never guessed beyond that:
a file that is none of these is refused with one line naming it.
"""

from __future__ import annotations

import codecs
import hashlib
from pathlib import Path

from handlers.errors import TextFileError


def decode(raw: bytes, name: str) -> str:
    """`raw` as text (BOM removed); TextFileError naming `name` when it is no known encoding."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise TextFileError(f"文件编码无法识别 {name}: not UTF-8 or GB18030 text; save it as UTF-8")


def read_text(path: str | Path) -> str:
    """The text of `path` (OSError when it cannot be opened)."""
    p = Path(path)
    return decode(p.read_bytes(), str(p))


def utf8_copy(path: str | Path, cache_dir: Path) -> Path:
    """`path` itself when it is already plain UTF-8 without BOM, else a UTF-8 copy of it in
    `cache_dir` (named by content, rewritten only when the content changes), for libraries
    that read files themselves (jieba, tomllib)."""
    p = Path(path)
    raw = p.read_bytes()
    if not raw.startswith(codecs.BOM_UTF8):
        try:
            raw.decode("utf-8")
            return p
        except UnicodeDecodeError:
            pass
    text = decode(raw, str(p)).replace("\r\n", "\n")
    data = text.encode("utf-8")
    out = Path(cache_dir) / f"{p.stem}.{hashlib.sha256(data).hexdigest()[:12]}.utf8{p.suffix}"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(out.suffix + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(out)
    return out

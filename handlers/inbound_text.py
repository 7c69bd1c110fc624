"""One normalisation of inbound text for every channel, applied before anything is stored.

`clean(text)` keeps what a person typed and removes only what cannot be stored or shown:
    - control characters (Unicode Cc) except newline and tab; CR LF and lone CR become LF
    - lone UTF-16 surrogates (a paste cut mid-character, "\\ud83d" in JSON) → U+FFFD
    - the byte-order mark / zero-width no-break space U+FEFF
Every other code point is kept as sent, including characters newer than this server's
Unicode tables (recent emoji, CJK extensions), private-use characters and emoji joiners.

`command_form(text)` is only for matching command words: NFKC (full-width letters, digits
and punctuation become their ASCII forms) with invisible format characters (zero-width
spaces and joiners, direction marks) removed, so they never change what a command means.
The stored text is always `clean(text)`, never the command form.
"""

from __future__ import annotations

import re
import unicodedata

# C0 and C1 controls except \t and \n, DEL, lone surrogates, BOM.
_DROP = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_FORMAT = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")
REPLACEMENT = "\ufffd"


def clean(text: str) -> str:
    """`text` safe to store and log-free of damage: see the module docstring. Idempotent."""
    if text.isprintable() and "\ufeff" not in text:  # the usual message: nothing to do
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _SURROGATE.sub(REPLACEMENT, text)
    return _DROP.sub("", text)


def clean_id(value: str) -> str | None:
    """A platform id (user, chat, message) as sent, or None when it holds anything that is
    not printable (such an id is refused, never repaired: repairing could merge two)."""
    return value if value and value.isprintable() else None  # surrogates are not printable


def command_form(text: str) -> str:
    """The form command words are matched on (NFKC, no invisible format characters)."""
    return unicodedata.normalize("NFKC", _FORMAT.sub("", text))


def as_typed(text: str, piece: str) -> str:
    """`piece` (a part of `command_form(text)`, e.g. a command's argument) as the sender typed it
    in `text`: the stored result of 「办结 #3 已清理楼道，张贴了告示」 keeps its full-width comma.
    `piece` itself when it cannot be mapped back."""
    if not piece:
        return piece
    normal: list[str] = []
    origin: list[int] = []  # for each character of the command form, where it came from in text
    for i, ch in enumerate(text):
        if _FORMAT.match(ch):
            continue
        for n in unicodedata.normalize("NFKC", ch):
            normal.append(n)
            origin.append(i)
    form = "".join(normal)
    if form != command_form(text):
        return piece
    at = form.rfind(piece)
    if at < 0:
        return piece
    start, end = origin[at], origin[at + len(piece) - 1] + 1
    return text[start:end]

"""Make strings from the database safe to put on a terminal.

Titles, ids, reasons and metadata come from chat platforms and are hostile by
assumption: an ESC or other control character could restyle or break the screen.
"""

from __future__ import annotations

import re

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\e"}
_BIDI = "\u2028\u2029\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_UNSAFE = re.compile("[\\x00-\\x1f\\x7f-\\x9f" + _BIDI + "]")
"""What `_is_unsafe` accepts, as one search: every cell of every drawn row passes here."""


def _escape_char(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _is_unsafe(ch: str) -> bool:
    code = ord(ch)
    return code < 0x20 or 0x7F <= code < 0xA0 or ch in _BIDI


def safe_text(value: object, *, keep_newlines: bool = False) -> str:
    """Render a value as one literal line: control and bidi characters become visible escapes."""
    if value is None:
        return ""
    text = str(value)
    if _UNSAFE.search(text) is None:
        return text
    out = []
    for ch in text:
        if keep_newlines and ch == "\n":
            out.append(ch)
        elif _is_unsafe(ch):
            out.append(_escape_char(ch))
        else:
            out.append(ch)
    return "".join(out)

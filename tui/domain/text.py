"""Make strings from the database safe to put on a terminal.

Titles, ids, reasons and metadata come from chat platforms and are hostile by
assumption: an ESC or other control character could restyle or break the screen.
"""

from __future__ import annotations

import re

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\e"}
_BIDI = "\u2028\u2029\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_UNSAFE = re.compile("[\\x00-\\x1f\\x7f-\\x9f" + _BIDI + "]")
"""C0 and C1 controls, DEL, and the line/paragraph separators and bidi controls. One
search tells a clean string (nearly every cell of every drawn row) from one to escape."""


def _escape_char(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_text(value: object, *, keep_newlines: bool = False) -> str:
    """Render a value as one literal line: control and bidi characters become visible escapes."""
    if value is None:
        return ""
    text = str(value)
    if _UNSAFE.search(text) is None:
        return text

    def escape(match: re.Match[str]) -> str:
        ch = match.group()
        return ch if keep_newlines and ch == "\n" else _escape_char(ch)

    return _UNSAFE.sub(escape, text)

"""Make strings from the database safe to put on a terminal.

Titles, ids, reasons and metadata come from chat platforms and are hostile by
assumption: an ESC or other control character could restyle or break the screen.
"""

from __future__ import annotations

import re

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\e"}
_FORMAT = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
"""Unicode's format characters (category Cf): bidi marks and isolates, zero-width
spaces and joiners, the byte-order mark, soft hyphen, tags. Invisible, they can reorder
what is shown or join glyphs into a width the table did not lay out. Listed rather than
computed at import, which would scan every code point before the first frame; a test
checks the list against `unicodedata`."""
_UNSAFE = re.compile("[\\x00-\\x1f\\x7f-\\x9f\u2028\u2029\ud800-\udfff" + _FORMAT + "]")
"""C0 and C1 controls, DEL, the line and paragraph separators, lone surrogates (which no
terminal encoding can write) and the format characters. One search tells a clean string
(nearly every cell of every drawn row) from one to escape."""


def _escape_char(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


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

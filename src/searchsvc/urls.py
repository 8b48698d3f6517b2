"""Which URLs may become links: ``http:``, ``https:`` and relative ones, nothing else.

A page's canonical and related URLs are the page author's text, and a result link is clicked by
a reader on this server's origin, so ``javascript:``, ``data:`` and ``vbscript:`` (or any other
scheme) must never reach an ``href`` or the API. :func:`safe_link` reads a URL the way a browser's
WHATWG URL parser does before it picks the scheme: leading and trailing C0 controls and spaces
dropped, every tab, CR and LF removed (so ``java\\tscript:`` is ``javascript:``), the scheme
compared case-insensitively. HTML entities are decoded by the HTML parser before a URL gets
here; a URL that still carries one is checked decoded as well, in case it is written into HTML
unescaped somewhere. This module knows nothing of Flask or of extraction: both call it.
"""

from __future__ import annotations

import html
import re

SAFE_SCHEMES = frozenset({"http", "https"})

_EDGES = "".join(chr(c) for c in range(0x21))  # C0 controls and space, stripped at both ends
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")


def safe_link(url: str) -> str:
    """The URL as a browser would read it, when it is ``http:``, ``https:`` or relative; else "".

    :param url: a URL from a page (already entity-decoded by the HTML parser).
    :return: the cleaned URL to put in an ``href``, or "" when it must not become a link.
    """
    if not isinstance(url, str):
        return ""
    cleaned = _clean(url)
    if not cleaned or not _allowed(cleaned):
        return ""
    if "&" in cleaned and not _allowed(_clean(html.unescape(cleaned))):
        return ""
    return cleaned


def _clean(url: str) -> str:
    return _TAB_OR_NEWLINE.sub("", url.strip(_EDGES))


def _allowed(url: str) -> bool:
    if _CONTROL.search(url):
        return False  # no browser needs a control character in a link
    scheme = _SCHEME.match(url)
    return scheme is None or scheme.group(1).lower() in SAFE_SCHEMES

"""Bytes or text -> parsed page: charset decoding, the binary check, and parsing with lxml.

Decoding happens here rather than inside BeautifulSoup so that a wrong declaration (a UTF-8
page that says gb2312) falls through to the next candidate instead of parsing to nothing.
Reading files and gzip belong to :mod:`searchsvc.corpus`.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, UnicodeDammit
from bs4.dammit import EncodingDetector

from ..errors import ExtractError

_TAG = re.compile(r"<[a-zA-Z!?/]")
_START_TAG = re.compile(r"<[a-zA-Z]")
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
# Browsers read these declarations as windows-1252 (WHATWG encoding labels).
_WHATWG_ALIASES = {
    "iso-8859-1": "windows-1252",
    "latin-1": "windows-1252",
    "latin1": "windows-1252",
    "us-ascii": "windows-1252",
    "ascii": "windows-1252",
}


def parse(html: str | bytes, max_tags: int | None = None) -> BeautifulSoup:
    """Parse a page given as text or as bytes in the encoding the page declares.

    :param max_tags: most start tags the page may have (outside scripts and styles); counted
        before parsing, since bs4 spends about 10 µs on each element it builds.
    :raise ExtractError: empty input, binary data, undecodable bytes, no markup, or more
        tags than ``max_tags``.
    """
    if isinstance(html, bytes | bytearray):
        if not html.strip():
            raise ExtractError("empty input")
        if looks_binary(bytes(html[:4096])):
            raise ExtractError("not HTML: binary data")
        html = decode(bytes(html))
    if not html.strip():
        raise ExtractError("empty input")
    if not _TAG.search(html):
        raise ExtractError("not HTML: no markup found")
    if max_tags is not None:
        tags = len(_START_TAG.findall(html))
        if tags > max_tags:
            tags = len(_START_TAG.findall(_SCRIPT.sub("", html)))
        if tags > max_tags:
            raise ExtractError(
                f"too many tags: {tags:,} start tags, more than the {max_tags:,} allowed "
                "(SEARCHSVC_MAX_PAGE_TAGS)"
            )
    soup = BeautifulSoup(html, "lxml")
    if soup.find(["html", "body", "head", "p", "div"]) is None:
        raise ExtractError("not HTML: no markup found")
    return soup


def decode(data: bytes) -> str:
    """Bytes -> text using the page's declared charset, falling back to UTF-8 and cp1252.

    Latin-1/ASCII declarations are read as windows-1252, as browsers do. Undeclared bytes
    that are not UTF-8 are left to bs4's guess, then windows-1252.

    :raise ExtractError: no candidate encoding decodes the bytes.
    """
    declared = EncodingDetector.find_declared_encoding(data, is_html=True)
    known = [_WHATWG_ALIASES.get(declared.lower(), declared)] if declared else []
    # UTF-8 before statistical guessing: it is what undeclared pages nearly always are, and
    # strict UTF-8 decoding fails fast on anything else.
    dammit = UnicodeDammit(data, known_definite_encodings=[*known, "utf-8"], is_html=True)
    if dammit.unicode_markup is None:
        raise ExtractError("not HTML: undecodable bytes")
    return dammit.unicode_markup


def looks_binary(head: bytes) -> bool:
    """Control bytes that no text encoding produces (UTF-16 is allowed through its BOM)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls > len(head) * 0.02

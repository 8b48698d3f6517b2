"""The article body as text blocks: paragraphs, list items, table cells and headings in order.

:class:`BlockWalker` flattens the chosen body elements into :class:`Block` objects in reading
order. Text is gathered until a block-level tag starts; ``<br><br>`` also splits a block, a
single ``<br>`` is a space. Each block remembers how much of its text is linked or bold, which
the promo and heading-paragraph rules need. Cutting blocks into sections is :mod:`.sections`'
job.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from bs4 import NavigableString, Tag
from bs4.element import PreformattedString

from searchsvc.text import clean

HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Tags that start a new text block; everything else is inline and joins the running text.
BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
        "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "header", "hr",
        "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td",
        "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
_BR = "\x1e"  # stands for <br> while text is gathered; two in a row split a block
_BR_BREAK = re.compile(_BR + r"\s*" + _BR + r"[\s" + _BR + r"]*")


@dataclass
class Block:
    """One paragraph-like run of text, or a heading, in reading order."""

    kind: str  # "heading", else the tag that holds the text ("p", "li", "td", "div"...)
    text: str
    anchor: str = ""  # a heading element's own id
    bold: bool = False  # all of the text is <strong>/<b>
    link_chars: int = 0


class BlockWalker:
    """Flatten an element tree into blocks: text is gathered until a block-level tag starts."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self._parts: list[str] = []
        self._link_chars = 0
        self._bold_chars = 0

    def walk(self, root: Tag) -> None:
        """Gather ``root``'s text into blocks (an explicit stack: markup can nest very deep)."""
        # Each frame: children still to visit, the block tag holding their text, whether they
        # sit inside a link / bold, and the block tag to flush when the frame is done.
        stack: list[tuple[Iterator, str, bool, bool, str]] = [
            (iter(root.children), root.name or "div", False, False, root.name or "div")
        ]
        while stack:
            children, holder, in_link, bold, closing = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                if closing:
                    self.flush(closing)
            elif isinstance(child, NavigableString):
                if not isinstance(child, PreformattedString):
                    self._add_text(str(child), in_link, bold)
            elif child.name == "br":
                self._parts.append(_BR)
            elif child.name in HEADING_TAGS:
                self.flush(holder)
                text = clean(child.get_text(" "))
                if text:
                    anchor = str(child.get("id") or "").strip()
                    self.blocks.append(Block("heading", text, anchor))
            elif child.name in BLOCK_TAGS:
                self.flush(holder)
                stack.append((iter(child.children), child.name, in_link, bold, child.name))
            else:
                link = in_link or child.name == "a"
                strong = bold or child.name in ("strong", "b")
                stack.append((iter(child.children), holder, link, strong, ""))

    def _add_text(self, text: str, in_link: bool, bold: bool) -> None:
        self._parts.append(text)
        visible = len(text.strip())
        if in_link:
            self._link_chars += visible
        if bold:
            self._bold_chars += visible

    def flush(self, holder: str) -> None:
        """End the running block (if any text was gathered) as one or more blocks."""
        if not self._parts:
            return
        raw = "".join(self._parts)
        pieces = [clean(p.replace(_BR, " ")) for p in _BR_BREAK.split(raw)]
        pieces = [p for p in pieces if p]
        total = sum(len(p) for p in pieces) or 1
        for piece in pieces:
            share = len(piece) / total  # link/bold counts spread over <br><br>-split pieces
            self.blocks.append(
                Block(
                    holder,
                    piece,
                    link_chars=round(self._link_chars * share),
                    bold=len(pieces) == 1
                    and self._bold_chars >= 0.95 * len(piece.replace(" ", "")),
                )
            )
        self._parts, self._link_chars, self._bold_chars = [], 0, 0


def walk(roots: list[Tag]) -> list[Block]:
    """The text blocks of ``roots``, in order."""
    walker = BlockWalker()
    for root in roots:
        walker.walk(root)
    return walker.blocks

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

from .dom import shown_text

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
    bold: bool = False  # all of the text is <strong>/<b>
    link_chars: int = 0
    element: Tag | None = None  # the element this text starts (a heading: the heading)
    shown: str = ""  # a heading's text as the page shows it (``text`` may add spaces)


class BlockWalker:
    """Flatten an element tree into blocks: text is gathered until a block-level tag starts."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self._parts: list[str] = []
        self._link_chars = 0
        self._bold_chars = 0
        self._flushed: dict[int, bool] = {}  # id(holder) -> a block of its text was emitted

    def walk(self, root: Tag) -> None:
        """Gather ``root``'s text into blocks (an explicit stack: markup can nest very deep)."""
        # Each frame: children still to visit, the block element holding their text, whether
        # they sit inside a link / bold, and the block element to flush when the frame is done.
        stack: list[tuple[Iterator, Tag, bool, bool, Tag | None]] = [
            (iter(root.children), root, False, False, root)
        ]
        while stack:
            children, holder, in_link, bold, closing = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                if closing is not None:
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
                    self.blocks.append(
                        Block("heading", text, element=child, shown=shown_text(child))
                    )
            elif child.name in BLOCK_TAGS:
                self.flush(holder)
                stack.append((iter(child.children), child, in_link, bold, child))
            else:
                link = in_link or child.name == "a"
                strong = bold or child.name in ("strong", "b")
                stack.append((iter(child.children), holder, link, strong, None))

    def _add_text(self, text: str, in_link: bool, bold: bool) -> None:
        self._parts.append(text)
        visible = len(text.strip())
        if in_link:
            self._link_chars += visible
        if bold:
            self._bold_chars += visible

    def flush(self, holder: Tag) -> None:
        """End the running block (if any text was gathered) as one or more blocks."""
        if not self._parts:
            return
        kind = holder.name or "div"
        # The holder starts with this text only if none of its text came before.
        whole = not self._flushed.get(id(holder))
        self._flushed[id(holder)] = True
        raw = "".join(self._parts)
        pieces = [clean(p.replace(_BR, " ")) for p in _BR_BREAK.split(raw)]
        pieces = [p for p in pieces if p]
        total = sum(len(p) for p in pieces) or 1
        for piece in pieces:
            share = len(piece) / total  # link/bold counts spread over <br><br>-split pieces
            self.blocks.append(
                Block(
                    kind,
                    piece,
                    link_chars=round(self._link_chars * share),
                    bold=len(pieces) == 1
                    and self._bold_chars >= 0.95 * len(piece.replace(" ", "")),
                    element=holder if whole and len(pieces) == 1 else None,
                    shown=piece,
                )
            )
        self._parts, self._link_chars, self._bold_chars = [], 0, 0


def walk(roots: list[Tag]) -> list[Block]:
    """The text blocks of ``roots``, in order."""
    walker = BlockWalker()
    for root in roots:
        walker.walk(root)
    return walker.blocks

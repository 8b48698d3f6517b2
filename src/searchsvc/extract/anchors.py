"""Section anchors: the URL fragment that makes a result link land on its section's heading.

A section's ``anchor`` is, in order of preference:

1. the ``id`` of the heading element itself (``<h2 id="dosage">``);
2. the ``id`` of an enclosing element that the heading starts (``<section id="x"><h2>``),
   nearest first;
3. the ``name`` (or ``id``) of an empty ``<a>`` right at the heading: its first child, or just
   before it (``<a name="x"></a><h2>``);
4. else a text fragment directive (URL Fragment Text Directives, WICG), ``:~:text=``, built from
   the heading's text as the page shows it ("Understanding Back Pain:"). Browsers scroll to the
   first match on the page, so when that text also occurs earlier (the title, the lead, a table
   of contents, a menu) a suffix of the section's first words is added (``,-suffix``), or if
   that is not enough a prefix (``prefix-,``) of the words before the heading.

Directive terms are percent-encoded as the spec asks: everything but ASCII letters, digits and
``. _ ~`` (so ``-``, ``,``, ``&`` and spaces, as ``%20``). Anchors are unique within a page.

The page's targets (ids, anchors) and its whole shown text are read by :class:`Targets` before
any chrome is removed: the browser sees the original page, menus and sidebars included.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from urllib.parse import quote

from bs4 import NavigableString, Tag
from bs4.element import PreformattedString

from .blocks import BLOCK_TAGS, HEADING_TAGS, Block
from .dom import Page

TEXT_DIRECTIVE = ":~:text="
# Context words tried around a repeated heading, fewest first.
CONTEXT_WORDS = (3, 5, 8, 12)
# Elements whose text a browser never shows or searches.
_UNSHOWN = frozenset({"script", "style", "noscript", "template", "head", "title", "svg"})
# Characters of page text the directive checks of one page may search in all.
SEARCH_BUDGET_CHARS = 20_000_000
# An id is usable as a fragment as written: no whitespace, '#' or '%' to escape.
_PLAIN_ID = re.compile(r"^[^\s#%]+$")


class Targets:
    """What a browser can scroll to on the original page: element ids and its shown text."""

    def __init__(self, page: Page) -> None:
        self._fragment: dict[int, str] = {}  # id(element) -> fragment that lands on it
        self._suffixes: dict[str, int] = {}  # anchor -> last "-n" given for it
        self._elements: list[Tag] = []  # keeps the keyed elements alive while extracting
        ids = Counter(str(t.get("id")) for t in page.elements if t.get("id"))
        self.used_ids = {i for i, n in ids.items() if n == 1 and _PLAIN_ID.match(i)}
        # An element lands on its own id, else on that of the nearest enclosing element it
        # starts (see :func:`_starts`); top down in document order, so linear at any depth.
        firsts: dict[int, Tag | None] = {}  # id(parent) -> the element it starts with
        for tag in page.elements:
            element_id = str(tag.get("id") or "")
            parent = tag.parent
            if element_id in self.used_ids:
                self._set(tag, element_id)
            elif parent is not None and id(parent) in self._fragment:
                if id(parent) not in firsts:
                    firsts[id(parent)] = _first_child(parent)
                if firsts[id(parent)] is tag:
                    self._set(tag, self._fragment[id(parent)])
        for tag in page.elements:
            if tag.name != "a":
                continue
            name = str(tag.get("name") or tag.get("id") or "")
            if name and _PLAIN_ID.match(name) and ids[name] <= 1 and not _has_text(tag):
                for target in _named_targets(tag):
                    if id(target) not in self._fragment:  # an id of its own comes first
                        self._set(target, name)
        # Text searches cost the page's length each; past this many characters searched in
        # all, headings get the plain directive (a page of thousands of headings).
        self._search_budget = SEARCH_BUDGET_CHARS
        self.text, self._starts = _shown_page_text(page.body)

    def _set(self, tag: Tag, fragment: str) -> None:
        self._fragment[id(tag)] = fragment
        self._elements.append(tag)

    def element_fragment(self, element: Tag | None) -> str:
        """The id (or anchor name) that lands on ``element``, or ""."""
        return self._fragment.get(id(element), "") if element is not None else ""

    def matches_before(self, text: str, element: Tag | None, lead: str = "") -> int | None:
        """How often ``text`` occurs on the page before ``element`` (None: not at it at all).

        A browser scrolls to the first match, so 0 means a directive for ``text`` lands on the
        element. ``lead`` is context text that precedes the element's own text in ``text``.
        """
        start = self._starts.get(id(element)) if element is not None else None
        folded = _fold(text)
        if start is None or not folded:
            return None
        start -= len(_fold(lead)) + 1 if lead else 0
        end = min(len(self.text), start + len(folded) + 3)  # later matches: no use
        if self._search_budget < end:
            return None
        self._search_budget -= end
        found = [m.start() for m in _pattern(folded).finditer(self.text, 0, end)]
        if not any(abs(f - start) <= 1 for f in found):
            return None  # not adjacent on the page: chrome or markup sits in between
        return sum(1 for f in found if f < start - 1)


def section_anchor(
    targets: Targets, heading: Block, after: str, before: str, used: set[str]
) -> str:
    """The fragment for a section whose heading is ``heading`` (see the module docstring).

    :param after: the section's text, for a suffix when the heading text repeats.
    :param before: the text before the heading (end of the previous section), for a prefix.
    :param used: anchors already given in this page; the new one is added.
    """
    fragment = targets.element_fragment(heading.element)
    if fragment and fragment not in used:
        used.add(fragment)
        return fragment
    shown = heading.shown or heading.text
    for candidate in _directives(targets, heading, after, before):
        if candidate not in used:
            used.add(candidate)
            return candidate
    directive = text_directive(shown, suffix=_first_words(after, CONTEXT_WORDS[-1]))
    return _unique(directive, used, targets._suffixes)


def text_directive(start: str, prefix: str = "", suffix: str = "") -> str:
    """``:~:text=[prefix-,]start[,-suffix]`` with each term percent-encoded."""
    directive = TEXT_DIRECTIVE
    if prefix:
        directive += encode_term(prefix) + "-,"
    directive += encode_term(start)
    if suffix:
        directive += ",-" + encode_term(suffix)
    return directive


def encode_term(text: str) -> str:
    """Percent-encode a text directive term: '-', ',', '&' and all but unreserved characters."""
    return quote(text, safe="").replace("-", "%2D")


def _directives(targets: Targets, heading: Block, after: str, before: str) -> Iterator[str]:
    """Text directives for a heading, simplest first, whose first match is at the heading."""
    shown, element = heading.shown or heading.text, heading.element
    if targets.matches_before(shown, element) in (0, None):
        yield text_directive(shown)  # also when the page text cannot tell: the best guess
    for n in CONTEXT_WORDS:
        suffix = _first_words(after, n)
        if suffix and targets.matches_before(f"{shown} {suffix}", element) == 0:
            yield text_directive(shown, suffix=suffix)
    for n in CONTEXT_WORDS:
        prefix = _last_words(before, n)
        if prefix and targets.matches_before(f"{prefix} {shown}", element, lead=prefix) == 0:
            yield text_directive(shown, prefix=prefix)


def _first_words(text: str, n: int) -> str:
    return " ".join(text.split("\n\n", 1)[0].split()[:n])


def _last_words(text: str, n: int) -> str:
    return " ".join(text.rsplit("\n\n", 1)[-1].split()[-n:])


def _unique(anchor: str, used: set[str], suffixes: dict[str, int]) -> str:
    """``anchor``, else ``anchor-2``, ``anchor-3``…: the first not in ``used`` (which the
    anchor joins). ``suffixes`` remembers the last number tried for each anchor, so a page
    of a thousand equal headings does not count up from 2 a thousand times."""
    candidate, n = anchor, suffixes.get(anchor, 1)
    if n > 1:
        candidate = f"{anchor}-{n}"
    while candidate in used:
        n += 1
        candidate = f"{anchor}-{n}"
    suffixes[anchor] = n
    used.add(candidate)
    return candidate


# --- Reading the original page ---------------------------------------------------------------


def _starts(tag: Tag) -> Iterator[Tag]:
    """The elements ``tag`` starts with: its first child element if no text comes before it,
    that one's first child element, and so on down."""
    node = tag
    while True:
        first = _first_child(node)
        if first is None:
            return
        yield first
        node = first


def _first_child(tag: Tag) -> Tag | None:
    """The element ``tag`` starts with: its first child that is not blank, if an element."""
    first = next((c for c in tag.children if not _blank(c)), None)
    return first if isinstance(first, Tag) else None


def _has_text(tag: Tag) -> bool:
    """Any visible text below ``tag`` (stops at the first)."""
    return any(s.strip() for s in tag.strings)


def _named_targets(anchor: Tag) -> Iterator[Tag]:
    """Elements an empty ``<a name>`` sits right at: those it starts, and the next element."""
    node = anchor
    while (
        node.parent is not None
        and next((c for c in node.parent.children if not _blank(c)), None) is node
    ):
        node = node.parent
        yield node
    following = next((s for s in anchor.next_siblings if not _blank(s)), None)
    if isinstance(following, Tag):
        yield following
        yield from _starts(following)


def _blank(node: object) -> bool:
    """Whitespace or a comment: nothing a reader sees between two elements."""
    if isinstance(node, PreformattedString):
        return True
    return isinstance(node, NavigableString) and not node.strip()


def _shown_page_text(body: Tag) -> tuple[str, dict[int, int]]:
    """All text a browser could find on the page, folded (see :func:`_fold`), with a space at
    each block boundary; and where each element's text starts in it, by ``id(element)``."""
    parts: list[str] = []
    length = 0
    space = True  # the text so far ends in a space (or is empty)
    starts: dict[int, int] = {}
    stack: list[Iterator] = [iter(body.children)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            continue
        piece = ""
        if isinstance(child, Tag):
            if child.name in _UNSHOWN:
                continue
            if child.name == "br" or child.name in BLOCK_TAGS or child.name in HEADING_TAGS:
                piece = " "
            stack.append(iter(child.children))
        elif not isinstance(child, PreformattedString):
            piece = _fold_piece(str(child))
        if piece:
            if space and piece[0] == " ":
                piece = piece.lstrip(" ")
            parts.append(piece)
            length += len(piece)
            space = space if not piece else piece[-1] == " "
        if isinstance(child, Tag):
            starts[id(child)] = length
    return "".join(parts), starts


def _fold_piece(text: str) -> str:
    """One string of the page folded, its whitespace runs kept as one space each."""
    folded = _fold(text)
    if not folded:
        return " " if text[:1].isspace() or text[-1:].isspace() else ""
    lead = " " if text[:1].isspace() else ""
    trail = " " if text[-1:].isspace() else ""
    return lead + folded + trail


def _fold(text: str) -> str:
    """Case, accents and whitespace folded away, as find-in-page matching ignores them."""
    if text.isascii():  # nothing to decompose; casefold() is lower() on ASCII
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def _pattern(folded: str) -> re.Pattern[str]:
    """Matches of ``folded`` that start and end at word boundaries, as text directives do."""
    start = r"(?<!\w)" if folded[0].isalnum() else ""
    end = r"(?!\w)" if folded[-1].isalnum() else ""
    return re.compile(start + re.escape(folded) + end)

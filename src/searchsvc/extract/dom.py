"""DOM helpers for one page: class/id words (parsed once per element), text size, visibility.

:class:`Page` wraps the parsed soup and caches what the rules ask of an element again and
again. An element's class and id attributes are split into words the first time a rule asks
and never again, however many rules (chrome, body scoring, topic, comments) look at it.
The cache is keyed by ``id(element)`` and holds the element too, so an id cannot be reused by
another object while the page is being extracted.

The other helpers are plain functions of a tag. They avoid bs4 calls that are slow on large
or deeply nested pages (see :func:`removed` and :func:`has_block_child`).

Hostile markup nests tens of thousands of elements deep (bs4 keeps every level; lxml's own
trees stop at 255), so a rule that reads each element's text with ``get_text()`` or walks its
ancestors costs the square of the depth. :class:`TextSizes` measures every element's text in
one bottom-up pass instead, and the rules read those numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import CData, PageElement, PreformattedString

from searchsvc.text import clean

SCREEN_READER_CLASSES = frozenset(
    {"sr-only", "screen-reader-text", "screen-reader-only", "visually-hidden", "visuallyhidden",
     "off-screen", "offscreen", "a11y-only", "element-invisible", "u-hidden-visually"}
)  # fmt: skip
BLOCK_CHILD_TAGS = frozenset(
    {"p", "div", "section", "article", "table", "ul", "ol", "dl", "blockquote", "pre", "figure",
     "h1", "h2", "h3", "h4", "h5", "h6", "header", "footer", "aside", "nav", "main", "form"}
)  # fmt: skip

T = TypeVar("T")

_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_TAXONOMY_CLASS = re.compile(r"^(?:tag|category|categories)[-_]", re.IGNORECASE)
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


class Page:
    """One page being extracted: the soup, its elements, and per-element attribute words."""

    def __init__(self, soup: BeautifulSoup) -> None:
        self.soup = soup
        self.body: Tag = soup.body or soup
        self.elements: list[Tag] = soup.find_all(True)  # document order, before any removal
        # id(element) -> (element, its words); the element is held so its id stays unique.
        self._words: dict[int, tuple[Tag, tuple[str, ...]]] = {}
        self._cache: dict[str, object] = {}
        self._sizes: TextSizes | None = None
        self._prose: tuple[int, dict[int, int]] | None = None

    def sizes(self, root: Tag) -> TextSizes:
        """Text sizes of ``root``'s elements: measured once, until the page is :meth:`changed`
        (a stage that removes nothing leaves them valid for the next)."""
        if self._sizes is None or not self._sizes.measured(root):
            self._sizes = TextSizes(root)
        return self._sizes

    def prose(self, root: Tag) -> dict[int, int]:
        """:func:`prose_lengths` of ``root``, kept until the page is :meth:`changed`."""
        if self._prose is None or self._prose[0] != id(root):
            self._prose = (id(root), prose_lengths(root))
        return self._prose[1]

    def changed(self) -> None:
        """Forget the measures: elements were removed."""
        self._sizes = self._prose = None

    def cached(self, name: str, compute: Callable[[], T]) -> T:
        """``compute()``'s value, made on the first call for ``name`` and kept for the page."""
        if name not in self._cache:
            self._cache[name] = compute()
        return self._cache[name]  # type: ignore[return-value]

    def words(self, tag: Tag) -> tuple[str, ...]:
        """Lowercase words of a tag's class and id ("socialShareBar" -> social, share, bar).

        Split on first use and cached; most tags have neither attribute and cost nothing.
        """
        classes, element_id = tag.get("class"), tag.get("id")
        if not classes and not element_id:
            return ()
        entry = self._words.get(id(tag))
        if entry is None:
            entry = (tag, _attr_words(class_list(tag), element_id))
            self._words[id(tag)] = entry
        return entry[1]


def class_list(tag: Tag) -> tuple[str, ...]:
    """The tag's class values as written ("post", "category-health"); bs4 has split them."""
    classes = tag.get("class") or ()
    return tuple(classes.split()) if isinstance(classes, str) else tuple(classes)


def _attr_words(classes: tuple[str, ...], element_id: object) -> tuple[str, ...]:
    words: list[str] = []
    for value in (*classes, element_id or ""):
        # Taxonomy classes ("tag-social-media", "category-ads") describe the topic, not the role.
        if not isinstance(value, str) or not value or _TAXONOMY_CLASS.match(value):
            continue
        words.extend(w for w in _WORD_SPLIT.split(_CAMEL_HUMP.sub("-", value).lower()) if w)
    return tuple(words)


def is_hidden(tag: Tag) -> bool:
    """Hidden from readers: the hidden attribute, aria-hidden=true, an inline display:none, or
    a screen-reader-only class ("Image copyright", "Posted on" labels)."""
    if tag.has_attr("hidden") or str(tag.get("aria-hidden", "")).lower() == "true":
        return True
    classes = tag.get("class")
    if classes and any(str(c).lower() in SCREEN_READER_CLASSES for c in classes):
        return True
    style = tag.get("style")
    return bool(style) and bool(_HIDDEN_STYLE.search(str(style)))


def removed(tag: Tag) -> bool:
    """True once ``tag`` (or an ancestor) has been decomposed.

    bs4's own ``Tag.decomposed`` reads a missing attribute, which Tag.__getattr__ turns into a
    search of the whole subtree; reading the flag directly keeps this O(1).
    """
    return bool(tag.__dict__.get("_decomposed", False))


def remove_all(nodes: list[PageElement]) -> None:
    """Decompose ``nodes`` (none inside another), each parent's child list rebuilt once.

    bs4 finds a node's place among its siblings by scanning them, so removing thousands of
    siblings one by one (a script after every paragraph) costs the square of their number.
    """
    by_parent: dict[int, tuple[Tag, list[PageElement]]] = {}
    for node in nodes:
        if node.parent is not None:
            by_parent.setdefault(id(node.parent), (node.parent, []))[1].append(node)
    for parent, doomed in by_parent.values():
        if len(doomed) > 1:
            gone = {id(n) for n in doomed}
            parent.contents = [c for c in parent.contents if id(c) not in gone]
            for node in doomed:
                node.parent = None  # already out of the list; extract() relinks the rest
        for node in doomed:
            node.decompose()


def outermost(nodes: Iterable[PageElement], chosen: Callable[[PageElement], bool]) -> list:
    """The ``nodes`` (in document order) that ``chosen`` picks, without those inside one
    picked before: what removing them one by one would have had to remove."""
    picked: list[PageElement] = []
    inside: set[int] = set()
    for node in nodes:
        parent = node.parent
        if parent is not None and id(parent) in inside:
            if isinstance(node, Tag):
                inside.add(id(node))
        elif chosen(node):
            picked.append(node)
            inside.add(id(node))
    return picked


def elements(root: Tag, *names: str) -> list[Tag]:
    """Descendant tags of ``root`` in document order, optionally only those named ``names``.

    bs4's find_all with name lists, attribute filters or functions is several times slower
    than one plain walk filtered in Python, and extraction runs this on every page.
    """
    found = root.find_all(True)
    if not names:
        return found
    wanted = set(names)
    return [t for t in found if t.name in wanted]


# Strings that get_text() reads on an ordinary element (not <script>/<style> text, comments).
_TEXT_TYPES = (NavigableString, CData)
# Element names that mark an article wrapper below a "related" block (see :mod:`.related`).
_ARTICLE_MARKS = frozenset({"h1", "article", "main"})


class TextSizes:
    """Text measures of every element below ``root``, in one bottom-up pass.

    For each element: characters of its text as ``" ".join(tag.get_text(" ").split())`` has
    them, the characters of that inside links (each ``<a>`` counted as :func:`link_density`
    does), its commas, whether a block-level element lies below it, whether an article
    marker (``<h1>``, ``<article>``, ``<main>``, ``itemprop=articleBody``) does, and how many
    ``<li>`` lie below it and how many of those are not mostly links. Keyed by ``id(element)``;
    the numbers describe the tree as it was when measured. Markup can nest deeper than
    Python's recursion limit, so the walk keeps its own stack.
    """

    BLOCK_BELOW, ARTICLE_BELOW = 1, 2

    def __init__(self, root: Tag) -> None:
        # id -> [chars, words, linked, commas, flags, items, loose_items]
        self._sizes: dict[int, list[int]] = {}
        self._keep: list[Tag] = []  # the measured elements, so their ids stay unique
        stack: list[tuple[Tag, Iterator]] = [(root, iter(root.contents))]
        totals = [[0, 0, 0, 0, 0, 0, 0]]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                own = totals.pop()
                self._sizes[id(node)] = own
                self._keep.append(node)
                if totals:
                    _add_child(totals[-1], node, own)
            elif isinstance(child, Tag):
                stack.append((child, iter(child.contents)))
                totals.append([0, 0, 0, 0, 0, 0, 0])
            elif type(child) in _TEXT_TYPES:
                words = child.split()
                if words:
                    t = totals[-1]
                    t[0] += sum(map(len, words))
                    t[1] += len(words)
                    t[3] += child.count(",")

    def measured(self, tag: Tag) -> bool:
        return id(tag) in self._sizes

    def length(self, tag: Tag) -> int:
        """Characters of the tag's text, whitespace collapsed (:func:`text_length`)."""
        entry = self._sizes.get(id(tag))
        return _length(entry) if entry else 0

    def link_density(self, tag: Tag) -> float:
        """Share of the tag's text inside links (:func:`link_density`)."""
        entry = self._sizes.get(id(tag))
        total = _length(entry) if entry else 0
        return min(1.0, entry[2] / total) if total else 0.0

    def linked(self, tag: Tag) -> int:
        entry = self._sizes.get(id(tag))
        return entry[2] if entry else 0

    def commas(self, tag: Tag) -> int:
        entry = self._sizes.get(id(tag))
        return entry[3] if entry else 0

    def has_block_child(self, tag: Tag) -> bool:
        """A block-level element below the tag (:func:`has_block_child`)."""
        entry = self._sizes.get(id(tag))
        return bool(entry and entry[4] & self.BLOCK_BELOW)

    def has_article_below(self, tag: Tag) -> bool:
        """An ``<h1>``, ``<article>``, ``<main>`` or ``itemprop=articleBody`` below the tag."""
        entry = self._sizes.get(id(tag))
        return bool(entry and entry[4] & self.ARTICLE_BELOW)

    def items(self, tag: Tag) -> tuple[int, int]:
        """(``<li>`` below the tag, those of them under 90% links)."""
        entry = self._sizes.get(id(tag))
        return (entry[5], entry[6]) if entry else (0, 0)


def _length(entry: list[int]) -> int:
    return entry[0] + entry[1] - 1 if entry[1] else 0


def _add_child(parent: list[int], child: Tag, own: list[int]) -> None:
    """Fold a finished child element's measures into its parent's running totals."""
    parent[0] += own[0]
    parent[1] += own[1]
    parent[2] += own[2] + (_length(own) if child.name == "a" else 0)
    parent[3] += own[3]
    flags = own[4]
    if child.name in BLOCK_CHILD_TAGS:
        flags |= TextSizes.BLOCK_BELOW
    if child.name in _ARTICLE_MARKS or child.get("itemprop") == "articleBody":
        flags |= TextSizes.ARTICLE_BELOW
    parent[4] |= flags
    parent[5] += own[5]
    parent[6] += own[6]
    if child.name == "li":
        parent[5] += 1
        length = _length(own)
        if not length or own[2] < 0.9 * length:
            parent[6] += 1


def text_length(tag: Tag) -> int:
    """Characters of visible-ish text in a tag, whitespace collapsed."""
    return len(" ".join(tag.get_text(" ").split()))


def link_density(tag: Tag) -> float:
    """Share of a tag's text that sits inside links."""
    total = text_length(tag)
    if not total:
        return 0.0
    linked = sum(text_length(a) for a in tag.find_all("a"))
    return min(1.0, linked / total)


def prose_lengths(root: Tag) -> dict[int, int]:
    """Characters of unlinked text under every element of ``root``, keyed by ``id(element)``.

    Unlinked text is a cheap, markup-independent measure of prose: menus, link lists and
    teaser grids are mostly links, while the article is mostly not. One pass over the tree,
    with an explicit stack: broken markup can nest deeper than Python's recursion limit.
    """
    sizes: dict[int, int] = {}
    stack = [(root, False, iter(root.contents))]
    totals = [0]
    while stack:
        node, in_link, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            total = totals.pop()
            sizes[id(node)] = total
            if totals:
                totals[-1] += total
        elif isinstance(child, Tag):
            stack.append((child, in_link or child.name == "a", iter(child.contents)))
            totals.append(0)
        elif not in_link and not isinstance(child, PreformattedString):
            totals[-1] += len(child.strip())
    return sizes


def has_block_child(tag: Tag) -> bool:
    """Any block-level element below ``tag``? Stops at the first one found.

    (bs4's ``descendants`` first walks to the last descendant, which makes it O(depth) per
    call; on deeply nested pages that turned extraction quadratic.)
    """
    stack = list(tag.contents)
    while stack:
        node = stack.pop()
        if isinstance(node, Tag):
            if node.name in BLOCK_CHILD_TAGS:
                return True
            stack.extend(node.contents)
    return False


def contains(outer: Tag, inner: Tag) -> bool:
    """``inner`` is ``outer`` or lies inside it."""
    return outer is inner or any(p is outer for p in inner.parents)


def is_ancestor(tag: Tag, node: Tag) -> bool:
    """``tag`` is a proper ancestor of ``node``."""
    return any(parent is tag for parent in node.parents)


def shown_text(tag: Tag) -> str:
    """The text of ``tag`` as a browser lays it out: strings joined as they are (no space added
    between inline elements), a space for ``<br>`` and block elements, whitespace collapsed."""
    parts: list[str] = []
    for node in tag.descendants:
        if isinstance(node, Tag):
            if node.name == "br" or node.name in BLOCK_CHILD_TAGS:
                parts.append(" ")
        elif not isinstance(node, PreformattedString):
            parts.append(str(node))
    return clean("".join(parts))

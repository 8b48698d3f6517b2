"""Related reading: the links a page lists as "Related Topics/Articles/Posts".

They are taken out of the page before the body is chosen, so they never reach the text, and
returned as absolute :class:`Link` objects. Two shapes count: a short label followed by links
(in the same paragraph or in the link lists/paragraphs right after it), and elements whose
class or id says "related".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urljoin

from bs4 import NavigableString, Tag

from searchsvc.text import clean

from ..urls import safe_link
from .dom import Page, TextSizes, class_list, removed
from .records import Link

RELATED_LABEL = re.compile(
    r"^\W*(?:related\s+(?:topics?|articles?|posts?|stories|reading|content|links)"
    r"|you\s+(?:may|might)\s+also\s+like|read\s+more)\b\W*",
    re.IGNORECASE,
)
_LABEL_HOLDERS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "p", "div", "li", "dt", "section"})
# Longest own (unlinked) text of a label block: a label, not a sentence mentioning articles.
_LABEL_CHARS = 60
# A label's block is at most this many levels above its text ("<h3><span>Related…").
_LABEL_LEVELS = 8


def related_links(page: Page, base: str) -> list[Link]:
    """Links the page lists as related reading (removed from the page), made absolute."""
    return _as_links(take_related(page), base)


def _as_links(pairs: list[tuple[str, str]], base: str) -> list[Link]:
    """(text, href) pairs -> Links with absolute URLs, without blanks, anchors or repeats, and
    only ``http:``, ``https:`` or relative ones (``urls.safe_link``: no ``JaVaScRiPt:``, no
    ``java&#x09;script:``, no ``data:`` or ``mailto:``)."""
    links: list[Link] = []
    seen: set[str] = set()
    for text, raw in pairs:
        title, href = clean(text), safe_link(raw or "")
        if not title or not href or href.startswith("#"):
            continue
        url = urljoin(base, href) if base else href
        if url not in seen:
            seen.add(url)
            links.append(Link(title=title, url=url))
    return links


def take_related(page: Page) -> list[tuple[str, str]]:
    """Remove the page's related-reading blocks and return their links as (text, href).

    Each block found is taken out at once, so labels and "related" elements inside it are
    not looked at again. Text sizes are those of the page before anything was taken.
    """
    soup = page.soup
    sizes = page.sizes(soup)
    pairs: list[tuple[str, str]] = []

    def take(links: list[Tag], blocks: list[Tag]) -> None:
        pairs.extend(
            (" ".join(a.get_text(" ").split()), str(a.get("href", "")).strip()) for a in links
        )
        page.changed()
        for block in blocks:
            if not removed(block):
                block.decompose()

    for label in _labels(soup):
        if removed(label):
            continue  # inside a block already taken
        block = _label_block(label, sizes)
        if block is None or removed(block):
            continue
        links, consumed = _links_after_label(block, sizes)
        if links:
            take(links, consumed)
    page_text = sizes.length(soup.body or soup)
    for holder in soup.find_all(True):
        if removed(holder) or not _is_related_holder(holder, page_text, sizes):
            continue
        take(_links(holder), [holder])
    return pairs


def _labels(soup: Tag) -> list[NavigableString]:
    """Strings that read as a related-reading label, outside links ("Read more" links are
    teasers, not labels); one walk that knows whether it is inside a link."""
    found: list[NavigableString] = []
    stack: list[tuple[Iterator, bool]] = [(iter(soup.contents), False)]
    while stack:
        children, in_link = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
        elif isinstance(child, Tag):
            stack.append((iter(child.contents), in_link or child.name == "a"))
        elif not in_link and type(child) is NavigableString and RELATED_LABEL.match(child):
            found.append(child)
    return found


def _label_block(label: NavigableString, sizes: TextSizes) -> Tag | None:
    """The paragraph or heading holding a "Related Topics" label, if the label is one."""
    block = label.parent
    for _ in range(_LABEL_LEVELS):
        if block is None or block.name in _LABEL_HOLDERS:
            break
        block = block.parent
    if block is None or block.name not in _LABEL_HOLDERS:
        return None
    if sizes.length(block) - sizes.linked(block) > _LABEL_CHARS:
        return None  # a sentence that merely mentions related articles
    return block


def _links_after_label(block: Tag, sizes: TextSizes) -> tuple[list[Tag], list[Tag]]:
    """Links in the label's own block plus the link lists/paragraphs right after it."""
    links = _links(block)
    consumed = [block]
    for sibling in block.next_siblings:
        if not isinstance(sibling, Tag):
            continue
        if sibling.name in ("ul", "ol") or (links == [] and sibling.name in ("div", "section")):
            if sizes.link_density(sibling) < 0.5:
                break
            sibling_links = _links(sibling)
            if not sibling_links:
                break
            links.extend(sibling_links)
            consumed.append(sibling)
            if sibling.name != "ul" and sibling.name != "ol":
                break
        elif sibling.name in ("p", "li", "div") and _is_link_line(sibling, sizes):
            links.extend(_links(sibling))
            consumed.append(sibling)
        else:
            break
    return links, consumed


def _is_link_line(tag: Tag, sizes: TextSizes) -> bool:
    return sizes.link_density(tag) >= 0.8 and bool(_links(tag))


def _links(tag: Tag) -> list[Tag]:
    return [a for a in tag.find_all("a") if a.get("href")]


def _is_related_holder(tag: Tag, page_text: int, sizes: TextSizes) -> bool:
    """A "related" element ("related-posts", "jp-relatedposts"), but never an article wrapper
    that merely carries such a class among others."""
    if tag.name in ("html", "body", "a"):
        return False
    names = " ".join([*class_list(tag), str(tag.get("id") or "")]).lower()
    if "related" not in names:
        return False
    if sizes.has_article_below(tag):
        return False
    return sizes.length(tag) < page_text / 2

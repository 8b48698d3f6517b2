"""Related reading: the links a page lists as "Related Topics/Articles/Posts".

They are taken out of the page before the body is chosen, so they never reach the text, and
returned as absolute :class:`Link` objects. Two shapes count: a short label followed by links
(in the same paragraph or in the link lists/paragraphs right after it), and elements whose
class or id says "related".
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from bs4 import NavigableString, Tag

from searchsvc.text import clean

from .dom import Page, class_list, contains, link_density, removed, text_length
from .records import Link

RELATED_LABEL = re.compile(
    r"^\W*(?:related\s+(?:topics?|articles?|posts?|stories|reading|content|links)"
    r"|you\s+(?:may|might)\s+also\s+like|read\s+more)\b\W*",
    re.IGNORECASE,
)
_LABEL_HOLDERS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "p", "div", "li", "dt", "section"})
# Longest own (unlinked) text of a label block: a label, not a sentence mentioning articles.
_LABEL_CHARS = 60


def related_links(page: Page, base: str) -> list[Link]:
    """Links the page lists as related reading (removed from the page), made absolute."""
    return _as_links(take_related(page), base)


def _as_links(pairs: list[tuple[str, str]], base: str) -> list[Link]:
    """(text, href) pairs -> Links with absolute URLs, without blanks, anchors or repeats."""
    links: list[Link] = []
    seen: set[str] = set()
    for text, href in pairs:
        title = clean(text)
        if not title or not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        url = urljoin(base, href) if base else href
        if url not in seen:
            seen.add(url)
            links.append(Link(title=title, url=url))
    return links


def take_related(page: Page) -> list[tuple[str, str]]:
    """Remove the page's related-reading blocks and return their links as (text, href)."""
    soup = page.soup
    found: list[Tag] = []
    used: list[Tag] = []
    labels = [
        node
        for node in soup.descendants
        if type(node) is NavigableString and RELATED_LABEL.match(node)
    ]
    for label in labels:
        block = _label_block(label)
        if block is None or removed(block) or any(b is block for b in used):
            continue
        links, consumed = _links_after_label(block)
        if links:
            found.extend(links)
            used.extend(consumed)
    page_text = text_length(soup.body or soup)
    for holder in soup.find_all(True):
        if removed(holder) or not _is_related_holder(page, holder, page_text):
            continue
        if any(contains(u, holder) for u in used):
            continue
        found.extend(_links(holder))
        used.append(holder)
    pairs = [(" ".join(a.get_text(" ").split()), str(a.get("href", "")).strip()) for a in found]
    for tag in used:
        if not removed(tag):
            tag.decompose()
    return pairs


def _label_block(label: NavigableString) -> Tag | None:
    """The paragraph or heading holding a "Related Topics" label, if the label is one."""
    if any(p.name == "a" for p in label.parents):
        return None  # a "Read more" link is a teaser, not a label
    block = label.parent
    while block is not None and block.name not in _LABEL_HOLDERS:
        block = block.parent
    if block is None:
        return None
    linked = sum(len(a.get_text()) for a in block.find_all("a"))
    own_text = block.get_text()[: max(0, len(block.get_text()) - linked)]
    if len(" ".join(own_text.split())) > _LABEL_CHARS:
        return None  # a sentence that merely mentions related articles
    return block


def _links_after_label(block: Tag) -> tuple[list[Tag], list[Tag]]:
    """Links in the label's own block plus the link lists/paragraphs right after it."""
    links = _links(block)
    consumed = [block]
    for sibling in block.find_next_siblings():
        if sibling.name in ("ul", "ol") or (links == [] and sibling.name in ("div", "section")):
            sibling_links = _links(sibling)
            if not sibling_links or link_density(sibling) < 0.5:
                break
            links.extend(sibling_links)
            consumed.append(sibling)
            if sibling.name != "ul" and sibling.name != "ol":
                break
        elif sibling.name in ("p", "li", "div") and _is_link_line(sibling):
            links.extend(_links(sibling))
            consumed.append(sibling)
        else:
            break
    return links, consumed


def _is_link_line(tag: Tag) -> bool:
    return bool(_links(tag)) and link_density(tag) >= 0.8


def _links(tag: Tag) -> list[Tag]:
    return [a for a in tag.find_all("a") if a.get("href")]


def _is_related_holder(page: Page, tag: Tag, page_text: int) -> bool:
    """A "related" element ("related-posts", "jp-relatedposts"), but never an article wrapper
    that merely carries such a class among others."""
    if tag.name in ("html", "body", "a"):
        return False
    names = " ".join([*class_list(tag), str(tag.get("id") or "")]).lower()
    if "related" not in names:
        return False
    if any(
        t.name in ("h1", "article", "main") or t.get("itemprop") == "articleBody"
        for t in tag.find_all(True)
    ):
        return False
    return text_length(tag) < page_text / 2

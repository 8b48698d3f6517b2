"""HTML page -> Article: title, topic, sections and related links, without page chrome.

This module owns turning one saved article page into an :class:`Article`. It reads the page's
metadata (canonical URL, title, topic, description, publication date), finds the article body
(rules in :mod:`searchsvc._chrome`), walks it into text blocks, and cuts those at headings into
:class:`Section` objects that the index stores one per document. Links the page lists as related
reading are collected separately and kept out of the text.

Parsing is BeautifulSoup with lxml; bytes are decoded from the page's own ``<meta charset>`` or
``http-equiv`` declaration. Reading files, gzip and hashing belong to :mod:`searchsvc.corpus`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from urllib.parse import urljoin

from bs4 import BeautifulSoup, NavigableString, Tag, UnicodeDammit
from bs4.dammit import EncodingDetector
from bs4.element import PreformattedString

from searchsvc import _chrome
from searchsvc.errors import ExtractError


@dataclass(frozen=True)
class Section:
    heading: str  # "" for the lead section
    anchor: str  # slug unique within the page, e.g. "understanding-back-pain"
    text: str


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass
class Article:
    id: str
    url: str
    title: str
    topic: str
    description: str = ""
    published: str | None = None
    sections: list[Section] = field(default_factory=list)
    related: list[Link] = field(default_factory=list)

    @property
    def text(self) -> str:
        """All section text with headings, blank-line separated."""
        parts = []
        for s in self.sections:
            if s.heading:
                parts.append(s.heading)
            parts.append(s.text)
        return "\n\n".join(p for p in parts if p)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["text"] = self.text
        return d


DEFAULT_TOPIC = "general"
# Longest plain "Heading:" paragraph taken as a heading, and longest bold-only paragraph.
MAX_HEADING_WORDS = 12
MAX_HEADING_CHARS = 120

HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
# Tags that start a new text block; everything else is inline and joins the running text.
BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
        "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "header", "hr",
        "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td",
        "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
_TITLE_SUFFIX = re.compile(
    r"^(?P<title>.+?)\s+[|:\-\u2013\u2014\u00b7\u2022]\s+(?P<site>[^|\-\u2013\u2014]{1,60})$"
)
_BR = "\x1e"  # stands for <br> while text is gathered; two in a row split a block
_BR_BREAK = re.compile(_BR + r"\s*" + _BR + r"[\s" + _BR + r"]*")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_TAG = re.compile(r"<[a-zA-Z!?/]")
_WHATWG_ALIASES = {
    "iso-8859-1": "windows-1252",
    "latin-1": "windows-1252",
    "latin1": "windows-1252",
    "us-ascii": "windows-1252",
    "ascii": "windows-1252",
}


def slugify(text: str) -> str:
    """Lowercase ASCII slug: "Mental Health" -> "mental-health", "Café!" -> "cafe"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NON_ALNUM.sub("-", ascii_text.lower()).strip("-")


def _clean(text: str) -> str:
    """Collapse runs of whitespace (incl. no-break spaces) to one space; drop zero-width ones."""
    return " ".join(text.replace("\u200b", "").replace("\ufeff", "").split())


def extract_article(
    html: str | bytes,
    *,
    article_id: str,
    base_url: str = "",
    default_topic: str = "",
) -> Article:
    """Turn one HTML page into an Article.

    :param html: the page, as text or as bytes in the encoding the page declares.
    :param article_id: the id to give the article (the caller's file stem).
    :param base_url: site root used for the article URL when the page has no canonical link.
    :param default_topic: topic when the page names none (the caller passes the folder name).
    :raise ExtractError: empty input, not HTML / undecodable bytes, or no article text.
    """
    soup = _parse(html)
    head = _Head(soup)  # metadata first: scripts (JSON-LD) and headers go with the chrome
    url = _canonical_url(head, base_url, article_id)
    title = _title(head)
    topic = _topic(head, title) or slugify(default_topic) or DEFAULT_TOPIC
    description = head.meta("description", "og:description")
    published = _published(head)
    _chrome.remove_junk(soup)
    related = _related_links(soup, url or base_url)
    semantic = _chrome.semantic_body(soup)
    _chrome.remove_chrome(soup, keep=[semantic] if semantic else [])
    roots = _body_roots(soup, semantic)
    for root in roots:
        _chrome.strip_promos(root)
    sections = _sections(_blocks(roots), title)
    if not sections:
        raise ExtractError("no article text found")
    return Article(
        id=article_id,
        url=url,
        title=title,
        topic=topic,
        description=description,
        published=published,
        sections=sections,
        related=related,
    )


# --- Parsing ---------------------------------------------------------------------------------


def _parse(html: str | bytes) -> BeautifulSoup:
    if isinstance(html, bytes | bytearray):
        if not html.strip():
            raise ExtractError("empty input")
        if _looks_binary(bytes(html[:4096])):
            raise ExtractError("not HTML: binary data")
        html = _decode(bytes(html))
    if not html.strip():
        raise ExtractError("empty input")
    if not _TAG.search(html):
        raise ExtractError("not HTML: no markup found")
    soup = BeautifulSoup(html, "lxml")
    if soup.find(["html", "body", "head", "p", "div"]) is None:
        raise ExtractError("not HTML: no markup found")
    return soup


def _decode(data: bytes) -> str:
    """Bytes -> text using the page's declared charset, falling back to UTF-8 and cp1252.

    Decoding here rather than inside BeautifulSoup means a wrong declaration (a UTF-8 page
    that says gb2312) falls through to the next candidate instead of parsing to nothing.
    Latin-1/ASCII declarations are read as windows-1252, as browsers do. Undeclared bytes
    that are not UTF-8 are left to bs4's guess, then windows-1252.
    """
    declared = EncodingDetector.find_declared_encoding(data, is_html=True)
    known = [_WHATWG_ALIASES.get(declared.lower(), declared)] if declared else []
    # UTF-8 before statistical guessing: it is what undeclared pages nearly always are, and
    # strict UTF-8 decoding fails fast on anything else.
    dammit = UnicodeDammit(data, known_definite_encodings=[*known, "utf-8"], is_html=True)
    if dammit.unicode_markup is None:
        raise ExtractError("not HTML: undecodable bytes")
    return dammit.unicode_markup


def _looks_binary(head: bytes) -> bool:
    """Control bytes that no text encoding produces (UTF-16 is allowed through its BOM)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls > len(head) * 0.02


# --- Metadata --------------------------------------------------------------------------------


class _Head:
    """The page's metadata sources, indexed once: <meta> contents and every element."""

    def __init__(self, soup: BeautifulSoup) -> None:
        self.soup = soup
        self.elements = soup.find_all(True)
        self.metas: dict[str, str] = {}
        for tag in self.elements:
            if tag.name != "meta":
                continue
            content = _clean(str(tag.get("content", "")))
            for attr in ("property", "name", "itemprop"):
                key = str(tag.get(attr, "")).lower()
                if key and content and key not in self.metas:
                    self.metas[key] = content

    def meta(self, *names: str) -> str:
        """First non-empty <meta> content among ``names`` (name=, property= or itemprop=)."""
        return next((self.metas[n.lower()] for n in names if n.lower() in self.metas), "")

    def first(self, name: str) -> Tag | None:
        """The first element called ``name``."""
        return next((t for t in self.elements if t.name == name), None)


def _canonical_url(head: _Head, base_url: str, article_id: str) -> str:
    for link in head.elements:
        if link.name == "link" and "canonical" in (link.get("rel") or []):
            href = str(link.get("href") or "").strip()
            if href:
                return urljoin(base_url or "", href)
    if base_url:
        return base_url.rstrip("/") + "/" + article_id
    return ""


def _title(head: _Head) -> str:
    og = head.meta("og:title", "twitter:title")
    if og:
        site = head.meta("og:site_name")
        return _strip_site_suffix(og, site) if site else og
    h1 = _title_heading(head)
    if h1:
        return h1
    if head.soup.title:
        return _strip_site_suffix(_clean(head.soup.title.get_text()))
    return ""


def _title_heading(head: _Head) -> str:
    """Text of the article's <h1>: one inside the article markup first, else the first on page."""
    scopes = [t for t in head.elements if t.get("itemprop") == "articleBody" or t.name == "article"]
    for scope in (*scopes[:3], head.soup):
        for h1 in scope.find_all("h1"):
            text = _clean(h1.get_text(" "))
            if text:
                return text
    return ""


def _strip_site_suffix(title: str, site: str = "") -> str:
    """ "Some Article | Site" -> "Some Article" (also " - Site" and en/em dashes)."""
    match = _TITLE_SUFFIX.match(title)
    if not match:
        return title
    if site and slugify(match["site"]) != slugify(site):
        return title
    return match["title"].strip()


def _published(head: _Head) -> str | None:
    found = head.meta("article:published_time", "datePublished")
    if found:
        return found
    for scope in (head.first("article"), head.first("main"), head.soup):
        for time in scope.find_all("time") if scope else ():
            value = str(time.get("datetime") or "").strip()
            if value:
                return value
    for data in _json_ld(head):
        found = _find_key(data, "datePublished")
        if found:
            return found
    return None


def _json_ld(head: _Head) -> list:
    blocks = []
    for script in head.elements:
        if script.name == "script" and script.get("type") == "application/ld+json":
            try:
                blocks.append(json.loads(script.string or ""))
            except ValueError:
                continue  # malformed JSON-LD is common; it is only a fallback
    return blocks


def _find_key(data: object, key: str) -> str | None:
    """Depth-first search of JSON-LD (objects, lists, @graph) for a string value of ``key``."""
    if isinstance(data, dict):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        data = list(data.values())
    if isinstance(data, list):
        for item in data:
            found = _find_key(item, key)
            if found:
                return found
    return None


# Category containers: "category", "categories", "post-category", "cat-links", "entry-categories"
# but not WordPress taxonomy classes like "category-health" on the article itself.
_CATEGORY_CLASS = re.compile(
    r"^(?:[\w-]*[-_])?(?:categor(?:y|ies)|cat-links?)(?:[-_](?:links?|list|label|name|wrap\w*))?$",
    re.IGNORECASE,
)


def _topic(head: _Head, title: str) -> str:
    """Topic slug from article:section, a category link or the breadcrumbs, else ""."""
    section = head.meta("article:section").split(",")[0]  # some sites list several
    for source in (section, _category_link(head), _breadcrumb(head, title)):
        if slugify(source):
            return slugify(source)
    return ""


def _category_link(head: _Head) -> str:
    for link in head.elements:
        if link.name == "a" and "category" in (link.get("rel") or []) and _clean(link.get_text()):
            return _clean(link.get_text())
    for holder in head.elements:
        if not any(_CATEGORY_CLASS.match(c) for c in _classes(holder)) or _in_menu(holder):
            continue
        links = [holder] if holder.name == "a" else holder.find_all("a", limit=10)
        for link in links:
            if _clean(link.get_text()):
                return _clean(link.get_text())
    return ""


def _classes(tag: Tag) -> list[str]:
    classes = tag.get("class") or []
    return classes.split() if isinstance(classes, str) else list(classes)


def _in_menu(tag: Tag) -> bool:
    """Inside site navigation, where every category of the site is listed."""
    for node in (tag, *tag.parents):
        if node.name == "nav" or "menu" in _chrome.attr_words(node):
            return True
    return False


def _is_breadcrumb_trail(tag: Tag) -> bool:
    if tag.name == "nav" and str(tag.get("aria-label", "")).lower() in (
        "breadcrumb",
        "breadcrumbs",
    ):
        return True
    return any(c.lower() in ("breadcrumb", "breadcrumbs") for c in _classes(tag))


def _breadcrumb(head: _Head, title: str) -> str:
    for trail in head.elements:
        if not _is_breadcrumb_trail(trail):
            continue
        crumbs = [_clean(a.get_text(" ")) for a in trail.find_all("a")]
        if not crumbs:
            crumbs = [_clean(li.get_text(" ")) for li in trail.find_all("li")]
        for crumb in reversed(crumbs):
            if not crumb or crumb.lower() == "home" or _same_text(crumb, title):
                continue
            return crumb
    return ""


def _same_text(a: str, b: str) -> bool:
    """Equal up to case, punctuation and a truncating ellipsis."""
    sa, sb = slugify(a.rstrip(".… ")), slugify(b)
    return bool(sa) and (sa == sb or (len(sa) > 20 and sb.startswith(sa)))


# --- Related links ---------------------------------------------------------------------------


def _related_links(soup: BeautifulSoup, base: str) -> list[Link]:
    """Links the page lists as related reading (removed from the page), made absolute."""
    return _as_links(_chrome.take_related(soup), base)


def _as_links(pairs: list[tuple[str, str]], base: str) -> list[Link]:
    """(text, href) pairs -> Links with absolute URLs, without blanks, anchors or repeats."""
    links: list[Link] = []
    seen: set[str] = set()
    for text, href in pairs:
        title = _clean(text)
        if not title or not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        url = urljoin(base, href) if base else href
        if url not in seen:
            seen.add(url)
            links.append(Link(title=title, url=url))
    return links


# --- Body text -------------------------------------------------------------------------------


def _body_roots(soup: BeautifulSoup, semantic: Tag | None) -> list[Tag]:
    if semantic is not None and not _chrome.removed(semantic):
        return [semantic]
    body = soup.body or soup
    return _chrome.scored_body(body)


@dataclass
class _Block:
    """One paragraph-like run of text, or a heading, in reading order."""

    kind: str  # "heading", else the tag that holds the text ("p", "li", "td", "div"...)
    text: str
    anchor: str = ""  # a heading element's own id
    bold: bool = False  # all of the text is <strong>/<b>
    link_chars: int = 0


class _BlockWalker:
    """Flatten an element tree into blocks: text is gathered until a block-level tag starts."""

    def __init__(self) -> None:
        self.blocks: list[_Block] = []
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
                text = _clean(child.get_text(" "))
                if text:
                    anchor = str(child.get("id") or "").strip()
                    self.blocks.append(_Block("heading", text, anchor))
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
        if not self._parts:
            return
        raw = "".join(self._parts)
        pieces = [_clean(p.replace(_BR, " ")) for p in _BR_BREAK.split(raw)]
        pieces = [p for p in pieces if p]
        total = sum(len(p) for p in pieces) or 1
        for piece in pieces:
            share = len(piece) / total  # link/bold counts spread over <br><br>-split pieces
            self.blocks.append(
                _Block(
                    holder,
                    piece,
                    link_chars=round(self._link_chars * share),
                    bold=len(pieces) == 1
                    and self._bold_chars >= 0.95 * len(piece.replace(" ", "")),
                )
            )
        self._parts, self._link_chars, self._bold_chars = [], 0, 0


def _blocks(roots: list[Tag]) -> list[_Block]:
    walker = _BlockWalker()
    for root in roots:
        walker.walk(root)
    return [
        b
        for b in walker.blocks
        if not _chrome.is_promo_line(b.text, b.link_chars, paragraph=b.kind in ("p", "div"))
    ]


def _is_heading_paragraph(blocks: list[_Block], i: int) -> bool:
    """A paragraph that acts as a heading: bold-only and short, or a short "Title Words:" line.

    It must be followed by body text. A run of bold paragraphs (a score box, a bold intro) is
    emphasis, not a stack of headings.
    """
    block = blocks[i]
    following = blocks[i + 1] if i + 1 < len(blocks) else None
    previous = blocks[i - 1] if i > 0 else None
    if block.kind not in ("p", "div") or following is None or following.kind == "heading":
        return False
    words = block.text.split()
    if len(words) > MAX_HEADING_WORDS or len(block.text) > MAX_HEADING_CHARS:
        return False
    if block.bold:
        in_run = following.bold or (previous is not None and previous.bold)
        return not in_run and not block.text.endswith((".", ",", ";"))
    if block.kind != "p" or not block.text.endswith(":") or following.kind != "p":
        return False
    if re.search(r"[.!?]\s", block.text):
        return False  # a sentence or two that introduces what follows
    capitals = sum(1 for w in words if w[:1].isupper() or not w[:1].isalpha())
    return len(words) <= 5 or capitals >= 0.6 * len(words)


def _sections(blocks: list[_Block], title: str) -> list[Section]:
    """Cut blocks into sections at headings; drop the title heading and empty sections."""
    raw: list[tuple[str, str, list[str]]] = [("", "", [])]
    for i, block in enumerate(blocks):
        if block.kind == "heading" or _is_heading_paragraph(blocks, i):
            heading = block.text.rstrip(":").strip()
            if _same_text(heading, title) and not any(texts for _, _, texts in raw):
                continue  # the article's own title repeated above the text
            if _chrome.COMMENTS_HEADING.match(heading):
                break  # reader comments follow
            raw.append((heading, block.anchor, []))
        else:
            raw[-1][2].append(block.text)
    sections: list[Section] = []
    used: set[str] = set()
    for heading, element_id, texts in raw:
        if not texts:
            continue
        anchor = _unique(element_id or slugify(heading) or "section", used) if heading else ""
        sections.append(Section(heading=heading, anchor=anchor, text="\n\n".join(texts)))
    return sections


def _unique(anchor: str, used: set[str]) -> str:
    candidate, n = anchor, 1
    while candidate in used:
        n += 1
        candidate = f"{anchor}-{n}"
    used.add(candidate)
    return candidate

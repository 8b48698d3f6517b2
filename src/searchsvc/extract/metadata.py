"""Page metadata: canonical URL, title, topic, description and publication date.

Read from the whole page before any chrome is removed, because the sources live in the chrome:
``<meta>`` and ``<link>`` in the head, JSON-LD ``<script>`` blocks, category links and
breadcrumbs in headers and sidebars. :class:`Head` indexes the ``<meta>`` contents once.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urljoin

from bs4 import Tag

from searchsvc.text import clean, slugify

from ..urls import safe_link
from .dom import Page, class_list

_TITLE_SUFFIX = re.compile(
    r"^(?P<title>.+?)\s+[|:\-\u2013\u2014\u00b7\u2022]\s+(?P<site>[^|\-\u2013\u2014]{1,60})$"
)
# Category containers: "category", "categories", "post-category", "cat-links", "entry-categories"
# but not WordPress taxonomy classes like "category-health" on the article itself.
_CATEGORY_CLASS = re.compile(
    r"^(?:[\w-]*[-_])?(?:categor(?:y|ies)|cat-links?)(?:[-_](?:links?|list|label|name|wrap\w*))?$",
    re.IGNORECASE,
)


class Head:
    """The page's metadata sources, indexed once: <meta> contents and every element."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.soup = page.soup
        self.elements = page.elements
        self.metas: dict[str, str] = {}
        for tag in self.elements:
            if tag.name != "meta":
                continue
            content = clean(str(tag.get("content", "")))
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


def canonical_url(head: Head, base_url: str, article_id: str) -> str:
    """``<link rel=canonical>`` made absolute, else ``base_url/article_id``, else "".

    A canonical URL that may not become a link (``javascript:``, ``data:`` ...) is ignored, as
    if the page had none.
    """
    for link in head.elements:
        if link.name == "link" and "canonical" in (link.get("rel") or []):
            href = safe_link(str(link.get("href") or ""))
            if href:
                return urljoin(base_url or "", href)
    if base_url:
        return base_url.rstrip("/") + "/" + article_id
    return ""


def title(head: Head) -> str:
    """``og:title``, else the article's ``<h1>``, else ``<title>`` without the site suffix."""
    og = head.meta("og:title", "twitter:title")
    if og:
        site = head.meta("og:site_name")
        return _strip_site_suffix(og, site) if site else og
    h1 = _title_heading(head)
    if h1:
        return h1
    if head.soup.title:
        return _strip_site_suffix(clean(head.soup.title.get_text()))
    return ""


def _title_heading(head: Head) -> str:
    """Text of the article's <h1>: one inside the article markup first, else the first on page."""
    scopes = [t for t in head.elements if t.get("itemprop") == "articleBody" or t.name == "article"]
    for scope in (*scopes[:3], head.soup):
        for h1 in scope.find_all("h1"):
            text = clean(h1.get_text(" "))
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


def same_text(a: str, b: str) -> bool:
    """Equal up to case, punctuation and a truncating ellipsis."""
    sa, sb = slugify(a.rstrip(".… ")), slugify(b)
    return bool(sa) and (sa == sb or (len(sa) > 20 and sb.startswith(sa)))


# --- Publication date ------------------------------------------------------------------------


def published(head: Head) -> str | None:
    """``article:published_time``, a ``<time datetime>``, or JSON-LD ``datePublished``."""
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


def _json_ld(head: Head) -> list:
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


# --- Topic -----------------------------------------------------------------------------------


def topic(head: Head, title: str) -> str:
    """The topic as the page names it, from article:section, a category link or the
    breadcrumbs ("Mental Health"), else ""; its slug is what the index keys it by."""
    section = head.meta("article:section").split(",")[0]  # some sites list several
    for source in (section, _category_link(head), _breadcrumb(head, title)):
        if slugify(source):
            return clean(source)
    return ""


def _category_link(head: Head) -> str:
    for link in head.elements:
        if link.name == "a" and "category" in (link.get("rel") or []) and clean(link.get_text()):
            return clean(link.get_text())
    for holder in head.elements:
        classes = class_list(holder)
        if not any(_CATEGORY_CLASS.match(c) for c in classes) or _in_menu(head.page, holder):
            continue
        links = [holder] if holder.name == "a" else holder.find_all("a", limit=10)
        for link in links:
            if clean(link.get_text()):
                return clean(link.get_text())
    return ""


def _in_menu(page: Page, tag: Tag) -> bool:
    """Inside site navigation, where every category of the site is listed."""
    return any(node.name == "nav" or "menu" in page.words(node) for node in (tag, *tag.parents))


def _is_breadcrumb_trail(page: Page, tag: Tag) -> bool:
    if tag.name == "nav" and str(tag.get("aria-label", "")).lower() in (
        "breadcrumb",
        "breadcrumbs",
    ):
        return True
    return any(c.lower() in ("breadcrumb", "breadcrumbs") for c in class_list(tag))


def _breadcrumb(head: Head, title: str) -> str:
    for trail in head.elements:
        if not _is_breadcrumb_trail(head.page, trail):
            continue
        crumbs = [clean(a.get_text(" ")) for a in trail.find_all("a")]
        if not crumbs:
            crumbs = [clean(li.get_text(" ")) for li in trail.find_all("li")]
        for crumb in reversed(crumbs):
            if not crumb or crumb.lower() == "home" or same_text(crumb, title):
                continue
            return crumb
    return ""

"""Page chrome: the rules that say what is *not* article content.

It owns the generic rules for scripts and other junk elements, hidden elements, sign-up boxes,
page furniture (navigation, headers, footers, sidebars, banners, share bars, ads), lists of
links inside the body, one-line promos ("[Also Explore: …]", "Advertisement") and reader
comments, which are cut in exactly one place, :func:`remove_comments`.

All rules look at tag names, ARIA roles, ``class``/``id`` words and text shape, never at the
domain or the exact class names of one particular site. Choosing the body is
:mod:`.body`'s job; this module only removes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bs4 import Tag
from bs4.element import PreformattedString

from .blocks import Block
from .dom import (
    Page,
    TextSizes,
    elements,
    is_hidden,
    outermost,
    remove_all,
    removed,
)

_HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
# Elements that never carry article text.
JUNK_TAGS = frozenset(
    {"script", "style", "noscript", "template", "svg", "iframe", "object", "embed", "canvas",
     "button", "input", "select", "textarea", "option", "label", "link", "meta", "dialog",
     "figcaption"}  # image captions and credits describe the picture, not the story
)  # fmt: skip
# Page furniture by tag or ARIA role; removed unless it wraps most of the page (bad markup).
CHROME_TAGS = ("nav", "header", "footer", "aside", "form", "menu")
CHROME_ROLES = frozenset(
    {"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar", "dialog"}
)

# Share of the page's unlinked text that marks an element as (a wrapper of) the article.
MAIN_TEXT_SHARE = 0.4
# ...and the least text such a wrapper holds: a page of nothing but chrome has no article.
MIN_WRAPPER_TEXT = 200

# A sign-up box is at most this much text; containers that stop the search for one.
SIGNUP_BOX_CHARS = 400
BODY_BOUNDARY_TAGS = frozenset({"article", "main", "body", "html", "[document]"})

# Words of class/id values that mark chrome. A class value is split into words at '-', '_',
# spaces and camelCase humps, so "social-share-bar" and "shareBar" both match "share", while
# "shadow" (no word "ad") and "main-content" match nothing. "masthead-content" does match:
# a masthead is the site's header, whatever it contains.
CHROME_WORDS = frozenset(
    {
        "cookie", "cookies", "consent", "gdpr", "banner", "share", "sharing", "shares", "social",
        "comment", "comments", "newsletter", "subscribe", "subscription", "sidebar", "widget",
        "widgets", "menu", "nav", "navbar", "navigation", "breadcrumb", "breadcrumbs", "footer",
        "header", "ad", "ads", "advert", "adverts", "advertisement", "advertising", "sponsor",
        "sponsored", "promo", "promos", "promotion", "popup", "modal", "disqus", "outbrain",
        "taboola", "paywall", "signup", "toolbar", "byline", "author", "tags", "tagcloud",
        "pagination", "pager", "skip", "print", "masthead", "related", "recirc", "caption",
        "captions", "credit", "credits", "gallery", "slideshow", "lightbox", "carousel",
        "swiper", "teaser", "teasers", "trending", "popular", "recommended", "recommendations",
        "rail", "rollover", "popover", "tooltip", "hovercard", "playlist", "copyright",
    }
)  # fmt: skip
# Longer words also match as a prefix of a class word ("sharebar", "commentlist", "sidebar2").
CHROME_PREFIXES = (
    "cookie", "consent", "share", "social", "comment", "newsletter", "subscri", "sidebar",
    "widget", "breadcrumb", "footer", "header", "advert", "sponsor", "promo", "navbar",
)  # fmt: skip
EMBED_WORDS = frozenset({"embed", "embedded", "tweet", "instagram"})
NOT_CHROME_WORDS = frozenset({"commentary", "headerless", "promontory", "shared", "shareholder"})
# Class/id words that count against a container being the article body (see :mod:`.body`).
NEGATIVE_CHROME_WORDS = CHROME_WORDS | {
    "meta",
    "caption",
    "credit",
    "more",
    "teaser",
    "card",
    "list",
}

# Short lines that advertise other pages or the site itself rather than say anything.
PROMO_LABEL = re.compile(
    r"^\W*(?:also\s+(?:explore|read|see|check|watch|like)|read\s+(?:also|more|next)|see\s+also"
    r"|related(?:\s+\w+)?|recommended(?:\s+\w+)?|don['\u2019]?t\s+miss|must\s+read|more\s+from\b.*"
    r"|you\s+(?:may|might)\s+also\s+like|suggested(?:\s+\w+)?|click\s+here|watch|listen"
    r"|more|further\s+reading|sponsored)(?:\s*[:|\-\u2013\u2014]|\W*$)",
    re.IGNORECASE,
)
PROMO_LINE = re.compile(
    r"^\W*(?:advertisements?|adverts?|sponsored(?:\s+content)?|ad|video|photos?|close|"
    r"(?:story|article)\s+continues\s+below(?:\s+advertisement)?|continue\s+reading(?:\s+below)?|"
    r"(?:to\s+)?read\s+(?:the\s+)?(?:full|whole|entire)\s+(?:story|article)|read\s+article|"
    r"scroll\s+(?:down\s+)?to\s+continue(?:\s+with\s+content)?|"
    r"your\s+email\s+address\s+will\s+not\s+be\s+published\b.*|"
    r"required\s+fields\s+are\s+marked.*|share\s+(?:this|on)\b.*|"
    r"(?:sign\s+up|subscribe)\s+(?:for|to)\s+(?:our|the)\s+\w+\s+newsletter.*)\W*$"
    r"|^\[(\w+)\b[^\]]*\].*\[/\1\]$",  # an unrendered WordPress shortcode
    re.IGNORECASE,
)
# Headings that open a reader-comments section; everything from there on is not the article.
# Only unambiguous ones: "Discussion" is also a section of research and medical articles.
COMMENTS_HEADING = re.compile(
    r"^\W*(?:leave\s+a\s+(?:comment|reply)|post\s+a\s+comment|add\s+a\s+comment|"
    r"(?:\d+|one|no)\s+(?:comments?|responses?|replies|thoughts)"
    r"(?:\s+(?:on|to)\s+[\"'\u201c\u2018\u00ab].*)?|comments?|"  # 3 thoughts on "Title"
    r"join\s+the\s+(?:discussion|conversation)|reader\s+comments)\W*$",
    re.IGNORECASE,
)
# Longest paragraph still read as a comments heading: a label, not a sentence about comments.
COMMENTS_LABEL_CHARS = 60
# ...and longest heading ("3 thoughts on “A Long Article Title”").
COMMENTS_HEADING_CHARS = 300
# A sign-up box sits at most this many levels above its e-mail field.
SIGNUP_BOX_LEVELS = 32


# --- Class and role words --------------------------------------------------------------------


def is_chrome_word(word: str) -> bool:
    if word in NOT_CHROME_WORDS:
        return False
    return word in CHROME_WORDS or word.startswith(CHROME_PREFIXES)


def has_chrome_class(page: Page, tag: Tag) -> bool:
    """True if the tag's class/id names it as page furniture (see CHROME_WORDS)."""
    words: Iterable[str] = page.words(tag)
    if EMBED_WORDS.intersection(words):
        # An embedded post the author quoted ("social-media-embed") is content, not a share bar.
        words = [w for w in words if not w.startswith(("social", "share"))]
    return any(is_chrome_word(w) for w in words)


def _is_chrome(page: Page, tag: Tag) -> bool:
    if tag.name in CHROME_TAGS:
        return True
    if str(tag.get("role", "")).lower() in CHROME_ROLES:
        return True
    return has_chrome_class(page, tag)


def in_comments(page: Page, tag: Tag) -> bool:
    """Inside an element whose class/id says comments (comments are often <article>s too).

    The page's comment scopes are found once, top down, so asking for every element of a
    deeply nested page stays linear.
    """
    scoped = page.cached("in_comments", lambda: _comment_scoped(page))
    return id(tag) in scoped


def _comment_scoped(page: Page) -> set[int]:
    """ids of the elements that are, or lie inside, an element with a comments class/id."""
    scoped: set[int] = set()
    for tag in page.soup.find_all(True):  # document order: a parent comes before its children
        parent = tag.parent
        if (parent is not None and id(parent) in scoped) or (
            tag.name not in ("html", "body")
            and any(w.startswith("comment") and w not in NOT_CHROME_WORDS for w in page.words(tag))
        ):
            scoped.add(id(tag))
    return scoped


# --- Removing elements -----------------------------------------------------------------------


def remove_junk(page: Page) -> None:
    """Drop elements that never hold readable article text: scripts, styles, widgets, hidden."""
    _remove_signup_boxes(page)
    # HTML comments, CDATA, doctype, processing instructions
    page.changed()
    remove_all([n for n in page.soup.descendants if isinstance(n, PreformattedString)])
    remove_all(
        outermost(
            page.soup.find_all(True),
            lambda t: t.name not in ("html", "body") and (t.name in JUNK_TAGS or is_hidden(t)),
        )
    )


def _remove_signup_boxes(page: Page) -> None:
    """Drop the box around an e-mail field (newsletter sign-up, comment form) with its pitch.

    Such boxes often have no telling class ("Subscribe to the Morning Review ... You have been
    successfully subscribed!"); the e-mail input gives them away. The box is the largest
    ancestor with little text (at most SIGNUP_BOX_LEVELS up), never the article container
    itself. Text is measured once, on the page as it came.
    """
    fields = [f for f in page.soup.find_all("input") if str(f.get("type", "")).lower() == "email"]
    if not fields:
        return
    sizes = TextSizes(page.soup)
    page.changed()
    for field in fields:
        if removed(field):
            continue
        box = None
        for level, parent in enumerate(field.parents):
            if parent.name in BODY_BOUNDARY_TAGS or parent.get("itemprop") == "articleBody":
                break
            if level >= SIGNUP_BOX_LEVELS or sizes.length(parent) > SIGNUP_BOX_CHARS:
                break
            box = parent
        if box is not None:
            box.decompose()


def remove_chrome(page: Page, keep: Iterable[Tag] = ()) -> None:
    """Drop page furniture (navigation, headers, footers, sidebars, banners, comments, ads).

    Class words are a hint, not proof: page builders call every block a "widget", and sites
    give the article's wrapper classes like "content-with-sidebar" or "pagination-first". So a
    would-be chrome element survives when it holds a good share of the page's unlinked text
    (and at least MIN_WRAPPER_TEXT characters of it), or contains one of ``keep`` (the article
    body found from semantic markup).
    """
    body = page.soup.body or page.soup
    prose = page.prose(body)
    total = prose[id(body)]
    # Elements that contain a kept one: each kept element and its ancestors, found once.
    holding = {id(a) for k in keep if k is not None for a in (k, *k.parents)}

    def furniture(tag: Tag) -> bool:
        if tag.name in ("html", "body") or id(tag) in holding or not _is_chrome(page, tag):
            return False
        size = prose.get(id(tag), 0)
        return not (size >= MIN_WRAPPER_TEXT and size >= MAIN_TEXT_SHARE * total)

    page.changed()
    remove_all(outermost(body.find_all(True), furniture))


def remove_link_lists(page: Page, root: Tag) -> None:
    """Drop lists of nothing but links inside the article body ("more stories" lists).

    An article's own lists are mostly text, so a list counts only when every item (nested ones
    too) is at least 90% links. Item sizes are measured once per root (:class:`.dom.TextSizes`).
    """
    listings = elements(root, "ul", "ol")
    if not listings:
        return
    sizes = page.sizes(root)
    for listing in listings:
        if removed(listing):
            continue  # inside a list already dropped
        items, loose = sizes.items(listing)
        if items >= 2 and not loose:
            page.changed()
            listing.decompose()


# --- Filtering text blocks -------------------------------------------------------------------


def is_promo_line(text: str, link_chars: int, paragraph: bool = True) -> bool:
    """A one-line ad or cross-promotion ("[Also Explore: X]", "Advertisement", "See also: X")."""
    if paragraph and link_chars >= 0.9 * len(text.replace(" ", "")):
        return True  # a paragraph of nothing but links: teasers for other pages
    if len(text) > 200:
        return False
    if PROMO_LINE.match(text):
        return True
    label = PROMO_LABEL.match(text)
    if not label:
        return False
    rest = len(text) - label.end()
    return rest <= 0 or link_chars >= 0.5 * rest


def drop_promo_lines(blocks: list[Block]) -> list[Block]:
    """The blocks without one-line promos and link-only paragraphs."""
    return [
        b
        for b in blocks
        if not is_promo_line(b.text, b.link_chars, paragraph=b.kind in ("p", "div"))
    ]


# --- Reader comments -------------------------------------------------------------------------


def remove_comments(page: Page, roots: list[Tag]) -> list[Tag]:
    """Drop reader comments from the body: the one place they are cut. Returns the roots left.

    Comment containers with a telling class are already gone with the chrome; this catches the
    ones marked only by a label such as "Leave a Reply" or "3 thoughts on “Title”". A comments
    *heading* (``<h1>``-``<h6>``) opens a section that runs to the end of the article, so it
    and everything after it goes, including later roots. A short paragraph label only takes
    the rest of its own container with it: a "Comment" column head in a table is not the end
    of the article.
    """
    for i, root in enumerate(roots):
        sizes = page.sizes(root)
        for label in elements(root, *_HEADING_TAGS, "p", "div"):
            if removed(label) or not _is_comments_label(label, sizes):
                continue
            page.changed()
            heading = label.name in _HEADING_TAGS
            _drop_from(label, root if heading else label.parent)
            if heading:
                return roots[: i + 1]
    return roots


def _is_comments_label(tag: Tag, sizes: TextSizes) -> bool:
    heading = tag.name in _HEADING_TAGS
    if not heading and sizes.has_block_child(tag):
        return False  # a container, not a label
    length = sizes.length(tag)
    if not length or length > (COMMENTS_HEADING_CHARS if heading else COMMENTS_LABEL_CHARS):
        return False  # a sentence about comments, not a label
    return bool(COMMENTS_HEADING.match(" ".join(tag.get_text(" ").split())))


def _drop_from(tag: Tag, scope: Tag | None) -> None:
    """Remove ``tag`` and everything after it up to the end of ``scope``."""
    node = tag
    while node is not None and node is not scope:
        for sibling in list(node.find_next_siblings()):
            sibling.decompose()
        node = node.parent
    tag.decompose()

"""Page chrome: telling the article apart from everything around it.

Private helper of :mod:`searchsvc.extract`. It owns the rules that decide what is *not* article
content (scripts, navigation, headers and footers, cookie banners, share bars, sidebars, comment
sections, ads, hidden elements, inline promo lines, related-reading blocks) and the choice of the
element(s) that hold the article body: a marked-up article body (``itemprop=articleBody``,
``<article>``, ``<main>``) when the page has one, else a readability-style scoring of containers
by the text of their paragraphs.

All rules are generic: they look at tag names, ARIA roles, ``class``/``id`` words and text
shape, never at the domain or the exact class names of one particular site.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString

# Elements that never carry article text.
JUNK_TAGS = (
    "script", "style", "noscript", "template", "svg", "iframe", "object", "embed", "canvas",
    "button", "input", "select", "textarea", "option", "label", "link", "meta", "dialog",
    "figcaption",  # image captions and credits describe the picture, not the story
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
SCREEN_READER_CLASSES = frozenset(
    {"sr-only", "screen-reader-text", "screen-reader-only", "visually-hidden", "visuallyhidden",
     "off-screen", "offscreen", "a11y-only", "element-invisible", "u-hidden-visually"}
)  # fmt: skip
EMBED_WORDS = frozenset({"embed", "embedded", "tweet", "instagram"})
NOT_CHROME_WORDS = frozenset({"commentary", "headerless", "promontory", "shared", "shareholder"})

# Class/id words that make a container more or less likely to be the article body.
POSITIVE_WORDS = frozenset(
    {"article", "body", "content", "entry", "main", "page", "post", "story", "text", "blog"}
)
NEGATIVE_WORDS = CHROME_WORDS | {"meta", "caption", "credit", "more", "teaser", "card", "list"}

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

_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_TAXONOMY_CLASS = re.compile(r"^(?:tag|category|categories)[-_]", re.IGNORECASE)
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_BLOCK_PARAGRAPH_TAGS = frozenset({"p", "pre", "td", "blockquote"})
_BLOCK_CHILD_TAGS = frozenset(
    {"p", "div", "section", "article", "table", "ul", "ol", "dl", "blockquote", "pre", "figure",
     "h1", "h2", "h3", "h4", "h5", "h6", "header", "footer", "aside", "nav", "main", "form"}
)  # fmt: skip


def attr_words(tag: Tag) -> list[str]:
    """Lowercase words of a tag's class and id ("socialShareBar" -> social, share, bar)."""
    classes = tag.get("class") or []
    if not classes and not tag.get("id"):
        return []  # most tags: skip the splitting below
    if isinstance(classes, str):
        classes = classes.split()
    values = [*classes, tag.get("id") or ""]
    words: list[str] = []
    for value in values:
        # Taxonomy classes ("tag-social-media", "category-ads") describe the topic, not the role.
        if not isinstance(value, str) or not value or _TAXONOMY_CLASS.match(value):
            continue
        words.extend(w for w in _WORD_SPLIT.split(_CAMEL_HUMP.sub("-", value).lower()) if w)
    return words


def _is_chrome_word(word: str) -> bool:
    if word in NOT_CHROME_WORDS:
        return False
    return word in CHROME_WORDS or word.startswith(CHROME_PREFIXES)


def has_chrome_class(tag: Tag) -> bool:
    """True if the tag's class/id names it as page furniture (see CHROME_WORDS)."""
    words = attr_words(tag)
    if EMBED_WORDS.intersection(words):
        # An embedded post the author quoted ("social-media-embed") is content, not a share bar.
        words = [w for w in words if not w.startswith(("social", "share"))]
    return any(_is_chrome_word(w) for w in words)


def class_weight(tag: Tag) -> int:
    """Readability-style hint from class/id words: +25 for content-ish, -25 for chrome-ish."""
    words = attr_words(tag)
    weight = 0
    if any(w in POSITIVE_WORDS for w in words):
        weight += 25
    if any(w in NEGATIVE_WORDS or _is_chrome_word(w) for w in words):
        weight -= 25
    return weight


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


def remove_junk(soup: BeautifulSoup) -> None:
    """Drop elements that never hold readable article text: scripts, styles, widgets, hidden."""
    junk = frozenset(JUNK_TAGS)
    _remove_signup_boxes(soup)
    for node in list(soup.descendants):
        if isinstance(node, PreformattedString):
            node.extract()  # HTML comments, CDATA, doctype, processing instructions
    for tag in soup.find_all(True):
        if removed(tag) or tag.name in ("html", "body"):
            continue
        if tag.name in junk or is_hidden(tag):
            tag.decompose()


def _remove_signup_boxes(soup: BeautifulSoup) -> None:
    """Drop the box around an e-mail field (newsletter sign-up, comment form) with its pitch.

    Such boxes often have no telling class ("Subscribe to the Morning Review ... You have been
    successfully subscribed!"); the e-mail input gives them away. The box is the largest
    ancestor with little text, never the article container itself.
    """
    for field in soup.find_all("input"):
        if removed(field) or str(field.get("type", "")).lower() != "email":
            continue
        box = None
        for parent in field.parents:
            if parent.name in BODY_BOUNDARY_TAGS or parent.get("itemprop") == "articleBody":
                break
            if text_length(parent) > SIGNUP_BOX_CHARS:
                break
            box = parent
        if box is not None:
            box.decompose()


def _is_chrome(tag: Tag) -> bool:
    if tag.name in CHROME_TAGS:
        return True
    role = str(tag.get("role", "")).lower()
    if role in CHROME_ROLES:
        return True
    return has_chrome_class(tag)


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


def remove_chrome(soup: BeautifulSoup, keep: Iterable[Tag] = ()) -> None:
    """Drop page furniture (navigation, headers, footers, sidebars, banners, comments, ads).

    Class words are a hint, not proof: page builders call every block a "widget", and sites
    give the article's wrapper classes like "content-with-sidebar" or "pagination-first". So a
    would-be chrome element survives when it holds a good share of the page's unlinked text
    (and at least MIN_WRAPPER_TEXT characters of it), or contains one of ``keep`` (the article
    body found from semantic markup).
    """
    body = soup.body or soup
    prose = prose_lengths(body)
    total = prose[id(body)]
    keep = [k for k in keep if k is not None]
    for tag in body.find_all(True):
        if removed(tag) or tag.name in ("html", "body") or not _is_chrome(tag):
            continue
        if any(k is tag or _is_ancestor(tag, k) for k in keep):
            continue
        size = prose.get(id(tag), 0)
        if size >= MIN_WRAPPER_TEXT and size >= MAIN_TEXT_SHARE * total:
            continue
        tag.decompose()


def _is_ancestor(tag: Tag, node: Tag) -> bool:
    return any(parent is tag for parent in node.parents)


def strip_promos(root: Tag) -> None:
    """Drop lists of links and reader-comment sections inside the article body."""
    for listing in elements(root, "ul", "ol"):
        items = [li for li in listing.find_all("li") if not removed(li)]
        if len(items) >= 2 and all(link_density(li) >= 0.9 for li in items):
            listing.decompose()  # "more stories" lists; an article's own lists are mostly text
    for heading in elements(root, "h2", "h3", "h4", "h5", "h6", "p", "div"):
        if removed(heading) or _has_block_child(heading):
            continue
        text = " ".join(heading.get_text(" ").split())
        if text and len(text) <= 60 and COMMENTS_HEADING.match(text):
            _drop_from(heading)


def _drop_from(tag: Tag) -> None:
    """Remove ``tag`` and all siblings after it: a comments section runs to the end."""
    for sibling in list(tag.find_next_siblings()):
        sibling.decompose()
    tag.decompose()


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


# --- Choosing the article body ---------------------------------------------------------------


def semantic_body(soup: BeautifulSoup) -> Tag | None:
    """The marked-up article body: itemprop=articleBody, else the biggest <article>, else <main>.

    Candidates inside a comments section (comments are often <article>s too) and candidates
    holding under a third of the page's unlinked text (an <article> that wraps only a teaser
    or the headline) do not count, except an explicit itemprop=articleBody.
    """
    body = soup.body or soup
    prose = prose_lengths(body)
    share = prose[id(body)] * 0.3
    every = soup.find_all(True)
    for candidates, floor in (
        ([t for t in every if t.get("itemprop") == "articleBody"], 100),  # explicit: trust it
        ([t for t in every if t.name == "article"], max(200, share)),
        ([t for t in every if t.name == "main" or t.get("role") == "main"], max(200, share)),
    ):
        sized = [(prose.get(id(c), 0), c) for c in candidates if not _in_comments(c)]
        sized = [(n, c) for n, c in sized if n >= floor]
        if sized:
            return max(sized, key=lambda nc: nc[0])[1]
    return None


def _in_comments(tag: Tag) -> bool:
    return any(
        word.startswith("comment") and word not in NOT_CHROME_WORDS
        for node in (tag, *tag.parents)
        if node.name not in ("html", "body", "[document]")
        for word in attr_words(node)
    )


def _is_leaf_text_div(tag: Tag) -> bool:
    return tag.name == "div" and not _has_block_child(tag)


def _has_block_child(tag: Tag) -> bool:
    """Any block-level element below ``tag``? Stops at the first one found.

    (bs4's ``descendants`` first walks to the last descendant, which makes it O(depth) per
    call; on deeply nested pages that turned extraction quadratic.)
    """
    stack = list(tag.contents)
    while stack:
        node = stack.pop()
        if isinstance(node, Tag):
            if node.name in _BLOCK_CHILD_TAGS:
                return True
            stack.extend(node.contents)
    return False


def scored_body(root: Tag) -> list[Tag]:
    """Readability-style guess at the article body: the container whose paragraphs score best.

    Each paragraph-like element with enough text scores 1 + commas + length/100 (max 3); its
    parent gets the full score, grandparent half, great-grandparent a sixth. Containers start
    with a bonus/penalty from their tag and class words, and the total is discounted by link
    density. Siblings of the winner that look like content are returned with it, in order.
    """
    scores: dict[int, float] = {}
    nodes: dict[int, Tag] = {}
    paragraphs = [
        t
        for t in root.find_all(True)
        if t.name in _BLOCK_PARAGRAPH_TAGS or (t.name == "div" and _is_leaf_text_div(t))
    ]
    for para in paragraphs:
        text = " ".join(para.get_text(" ").split())
        if len(text) < 25:
            continue
        score = 1 + text.count(",") + min(len(text) // 100, 3)
        for level, ancestor in enumerate(_ancestors(para, 3)):
            key = id(ancestor)
            if key not in scores:
                scores[key] = _initial_score(ancestor)
                nodes[key] = ancestor
            scores[key] += score / (1, 2, 6)[level]
    if not scores:
        return [root]
    final = {key: s * (1 - link_density(nodes[key])) for key, s in scores.items()}
    top_key = max(final, key=final.__getitem__)
    top = _widen(nodes[top_key], final, nodes)
    return _with_siblings(top, final, final[top_key])


def _ancestors(tag: Tag, depth: int) -> list[Tag]:
    out = []
    for parent in tag.parents:
        if parent.name in (None, "[document]", "html") or len(out) == depth:
            break
        out.append(parent)
    return out


def _initial_score(tag: Tag) -> float:
    base = {"div": 5, "article": 5, "section": 3, "main": 3, "pre": 3, "td": 3, "blockquote": 3}
    penalty = {"address": -3, "ol": -3, "ul": -3, "dl": -3, "dd": -3, "dt": -3, "li": -3}
    return base.get(tag.name, 0) + penalty.get(tag.name, 0) + class_weight(tag)


def _widen(top: Tag, final: dict[int, float], nodes: dict[int, Tag]) -> Tag:
    """Move up from the best container when the content is clearly spread wider.

    When several near-best candidates share an ancestor, the article is split across them
    (e.g. paragraphs grouped in several divs); and a lone child adds nothing over its parent.
    """
    best = final[id(top)]
    rivals = [
        nodes[k] for k, s in sorted(final.items(), key=lambda kv: -kv[1])[1:6] if s >= 0.75 * best
    ]
    if len(rivals) >= 3:
        for ancestor in top.parents:
            if ancestor.name in (None, "[document]", "html", "body"):
                break
            shared = sum(1 for r in rivals if _is_ancestor(ancestor, r))
            if shared >= 3:
                top = ancestor
                break
    while top.parent is not None and top.parent.name not in ("body", "html", "[document]"):
        siblings = [c for c in top.parent.children if isinstance(c, Tag)]
        stray = "".join(c.strip() for c in top.parent.children if isinstance(c, NavigableString))
        if len(siblings) != 1 or stray:
            break
        top = top.parent
    return top


def _with_siblings(top: Tag, final: dict[int, float], best: float) -> list[Tag]:
    """The winner plus neighbouring blocks that clearly belong to the same article.

    ``best`` is the winning score (``top`` itself may be an unscored wrapper of the winner).
    """
    parent = top.parent
    if parent is None or parent.name in ("html", "[document]"):
        return [top]
    threshold = max(10.0, best * 0.2)
    top_classes = top.get("class")
    picked = []
    for sib in parent.children:
        if not isinstance(sib, Tag):
            continue
        if sib is top:
            picked.append(sib)
            continue
        score = final.get(id(sib), 0.0)
        if top_classes and sib.get("class") == top_classes:
            score += best * 0.2
        if score >= threshold or (sib.name == "p" and _looks_like_content(sib)):
            picked.append(sib)
    return picked


def _looks_like_content(para: Tag) -> bool:
    text = " ".join(para.get_text(" ").split())
    density = link_density(para)
    if len(text) > 80:
        return density < 0.25
    return bool(text) and density == 0 and bool(re.search(r"\.( |$)", text))


# --- Related reading ------------------------------------------------------------------------

RELATED_LABEL = re.compile(
    r"^\W*(?:related\s+(?:topics?|articles?|posts?|stories|reading|content|links)"
    r"|you\s+(?:may|might)\s+also\s+like|read\s+more)\b\W*",
    re.IGNORECASE,
)
_LABEL_HOLDERS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "p", "div", "li", "dt", "section"})


def take_related(soup: BeautifulSoup) -> list[tuple[str, str]]:
    """Remove the page's related-reading blocks and return their links as (text, href).

    Two shapes count: a short label ("Related Topics:", "You may also like", "Read more")
    followed by links in the same paragraph or in the link lists/paragraphs right after it,
    and elements whose class or id says "related".
    """
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
        if removed(holder) or not _is_related_holder(holder, page_text):
            continue
        if any(_contains(u, holder) for u in used):
            continue
        found.extend(_links(holder))
        used.append(holder)
    pairs = [(" ".join(a.get_text(" ").split()), str(a.get("href", "")).strip()) for a in found]
    for tag in used:
        if not removed(tag):
            tag.decompose()
    return pairs


def _contains(outer: Tag, inner: Tag) -> bool:
    return outer is inner or any(p is outer for p in inner.parents)


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
    if len(" ".join(own_text.split())) > 60:
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


def _is_related_holder(tag: Tag, page_text: int) -> bool:
    """A "related" element ("related-posts", "jp-relatedposts"), but never an article wrapper
    that merely carries such a class among others."""
    if tag.name in ("html", "body", "a"):
        return False
    classes = tag.get("class") or []
    names = " ".join([*classes, str(tag.get("id") or "")]).lower()
    if "related" not in names:
        return False
    if any(
        t.name in ("h1", "article", "main") or t.get("itemprop") == "articleBody"
        for t in tag.find_all(True)
    ):
        return False
    return text_length(tag) < page_text / 2

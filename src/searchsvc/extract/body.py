"""Choosing the element(s) that hold the article body.

A marked-up body (``itemprop=articleBody``, ``<article>``, ``<main>``) is taken when the page has
one that holds a fair share of its unlinked text. Otherwise a readability-style scoring of
containers by the text of their paragraphs picks the winner and the sibling blocks that
belong with it. What to remove around the body is :mod:`.chrome`'s job.
"""

from __future__ import annotations

import re

from bs4 import NavigableString, Tag

from .chrome import NEGATIVE_CHROME_WORDS, in_comments, is_chrome_word
from .dom import Page, TextSizes, class_list, removed

# Class/id words that make a container more or less likely to be the article body.
POSITIVE_WORDS = frozenset(
    {"article", "body", "content", "entry", "main", "page", "post", "story", "text", "blog"}
)
NEGATIVE_WORDS = NEGATIVE_CHROME_WORDS
_PARAGRAPH_TAGS = frozenset({"p", "pre", "td", "blockquote"})


def body_roots(page: Page, semantic: Tag | None) -> list[Tag]:
    """The semantic body if it survived chrome removal, else the best-scoring containers."""
    if semantic is not None and not removed(semantic):
        return [semantic]
    return scored_body(page, page.soup.body or page.soup)


def semantic_body(page: Page) -> Tag | None:
    """The marked-up article body: itemprop=articleBody, else the biggest <article>, else <main>.

    Candidates inside a comments section (comments are often <article>s too) and candidates
    holding under a third of the page's unlinked text (an <article> that wraps only a teaser
    or the headline) do not count, except an explicit itemprop=articleBody.
    """
    body = page.soup.body or page.soup
    prose = page.prose(body)
    share = prose[id(body)] * 0.3
    every = page.soup.find_all(True)
    for candidates, floor in (
        ([t for t in every if t.get("itemprop") == "articleBody"], 100),  # explicit: trust it
        ([t for t in every if t.name == "article"], max(200, share)),
        ([t for t in every if t.name == "main" or t.get("role") == "main"], max(200, share)),
    ):
        sized = [(prose.get(id(c), 0), c) for c in candidates if not in_comments(page, c)]
        sized = [(n, c) for n, c in sized if n >= floor]
        if sized:
            return max(sized, key=lambda nc: nc[0])[1]
    return None


def class_weight(page: Page, tag: Tag) -> int:
    """Readability-style hint from class/id words: +25 for content-ish, -25 for chrome-ish."""
    words = page.words(tag)
    weight = 0
    if any(w in POSITIVE_WORDS for w in words):
        weight += 25
    if any(w in NEGATIVE_WORDS or is_chrome_word(w) for w in words):
        weight -= 25
    return weight


def scored_body(page: Page, root: Tag) -> list[Tag]:
    """Readability-style guess at the article body: the container whose paragraphs score best.

    Each paragraph-like element with enough text scores 1 + commas + length/100 (max 3); its
    parent gets the full score, grandparent half, great-grandparent a sixth. Containers start
    with a bonus/penalty from their tag and class words, and the total is discounted by link
    density. Siblings of the winner that look like content are returned with it, in order.
    Text sizes are measured once (:class:`.dom.TextSizes`): nested paragraphs cost their
    count, not the square of their depth.
    """
    scores: dict[int, float] = {}
    nodes: dict[int, Tag] = {}
    sizes = page.sizes(root)
    paragraphs = [
        t
        for t in root.find_all(True)
        if t.name in _PARAGRAPH_TAGS or (t.name == "div" and not sizes.has_block_child(t))
    ]
    for para in paragraphs:
        length = sizes.length(para)
        if length < 25:
            continue
        score = 1 + sizes.commas(para) + min(length // 100, 3)
        for level, ancestor in enumerate(_ancestors(para, 3)):
            key = id(ancestor)
            if key not in scores:
                scores[key] = _initial_score(page, ancestor)
                nodes[key] = ancestor
            scores[key] += score / (1, 2, 6)[level]
    if not scores:
        return [root]
    final = {key: s * (1 - sizes.link_density(nodes[key])) for key, s in scores.items()}
    top_key = max(final, key=final.__getitem__)
    top = _widen(nodes[top_key], final, nodes)
    return _with_siblings(page, top, final, final[top_key], sizes)


def _ancestors(tag: Tag, depth: int) -> list[Tag]:
    out = []
    for parent in tag.parents:
        if parent.name in (None, "[document]", "html") or len(out) == depth:
            break
        out.append(parent)
    return out


def _initial_score(page: Page, tag: Tag) -> float:
    base = {"div": 5, "article": 5, "section": 3, "main": 3, "pre": 3, "td": 3, "blockquote": 3}
    penalty = {"address": -3, "ol": -3, "ul": -3, "dl": -3, "dd": -3, "dt": -3, "li": -3}
    return base.get(tag.name, 0) + penalty.get(tag.name, 0) + class_weight(page, tag)


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
        # Each rival's ancestors once, as sets: the walk up from ``top`` is then linear.
        lineages = [{id(p) for p in r.parents} for r in rivals]
        for ancestor in top.parents:
            if ancestor.name in (None, "[document]", "html", "body"):
                break
            shared = sum(1 for lineage in lineages if id(ancestor) in lineage)
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


def _with_siblings(
    page: Page, top: Tag, final: dict[int, float], best: float, sizes: TextSizes
) -> list[Tag]:
    """The winner plus neighbouring blocks that clearly belong to the same article.

    ``best`` is the winning score (``top`` itself may be an unscored wrapper of the winner).
    """
    parent = top.parent
    if parent is None or parent.name in ("html", "[document]"):
        return [top]
    threshold = max(10.0, best * 0.2)
    top_classes = class_list(top)
    picked = []
    for sib in parent.children:
        if not isinstance(sib, Tag):
            continue
        if sib is top:
            picked.append(sib)
            continue
        score = final.get(id(sib), 0.0)
        if top_classes and class_list(sib) == top_classes:
            score += best * 0.2
        if score >= threshold or (sib.name == "p" and _looks_like_content(sib, sizes)):
            picked.append(sib)
    return picked


def _looks_like_content(para: Tag, sizes: TextSizes) -> bool:
    length, density = sizes.length(para), sizes.link_density(para)
    if length > 80:
        return density < 0.25
    if not length or density:
        return False
    return bool(re.search(r"\.( |$)", " ".join(para.get_text(" ").split())))

"""The extraction pipeline: one page's stages in order, from markup to :class:`Article`.

Metadata is read first, while scripts (JSON-LD), headers and breadcrumbs are still there; then
junk and related-reading blocks go, the body is found and its chrome removed, and what is left
is walked into text blocks, bylines at its top are dropped (their date kept as ``published``
when the markup has none), and the blocks are cut into sections. Each stage lives in its own
module.
"""

from __future__ import annotations

from searchsvc import config
from searchsvc.text import slugify

from ..errors import ExtractError
from . import chrome, metadata
from .anchors import Targets
from .blocks import walk
from .body import body_roots, semantic_body
from .byline import drop_bylines
from .dates import normalise_published
from .decode import parse
from .dom import Page
from .records import MAX_FIELD_CHARS, MAX_RELATED, MAX_SECTIONS, Article, Link, Section
from .related import related_links
from .sections import cut_sections

DEFAULT_TOPIC = "general"
MAX_PAGE_TAGS = int(config.default("MAX_PAGE_TAGS"))  # type: ignore[call-overload]


def extract_article(
    html: str | bytes,
    *,
    article_id: str,
    base_url: str = "",
    default_topic: str = "",
    max_tags: int | None = MAX_PAGE_TAGS,
) -> Article:
    """Turn one HTML page into an Article.

    :param html: the page, as text or as bytes in the encoding the page declares.
    :param article_id: the id to give the article (the caller's file stem).
    :param base_url: site root used for the article URL when the page has no canonical link.
    :param default_topic: topic when the page names none (the caller passes the folder name).
    :param max_tags: most start tags a page may have (None: any number).
    :raise ExtractError: empty input, not HTML / undecodable bytes, too many tags, or no
        article text.
    """
    page = Page(parse(html, max_tags))
    targets = Targets(page)  # what a browser can scroll to, before chrome is removed
    head = metadata.Head(page)
    url = metadata.canonical_url(head, base_url, article_id)
    title = metadata.title(head)
    named = metadata.topic(head, title) or default_topic
    topic = slugify(named) or DEFAULT_TOPIC
    topic_label = named if slugify(named) else DEFAULT_TOPIC
    description = head.meta("description", "og:description")
    published = normalise_published(metadata.published(head))
    chrome.remove_junk(page)
    related = related_links(page, url or base_url)
    semantic = semantic_body(page)
    chrome.remove_chrome(page, keep=[semantic] if semantic else [])
    roots = chrome.remove_comments(page, body_roots(page, semantic))
    for root in roots:
        chrome.remove_link_lists(page, root)
    blocks, byline_date = drop_bylines(chrome.drop_promo_lines(walk(roots)))
    sections = cut_sections(blocks, title, targets)
    if not sections:
        raise ExtractError("no article text found")
    return Article(
        id=article_id,
        url=cut(url, "url"),
        title=cut(title, "title"),
        topic=cut(topic, "topic_label"),
        topic_label=cut(topic_label, "topic_label"),
        description=cut(description, "description"),
        published=(published or byline_date or "")[:64] or None,
        sections=bounded_sections(sections),
        related=[
            Link(title=cut(link.title, "related"), url=cut(link.url, "url"))
            for link in related[:MAX_RELATED]
        ],
    )


def cut(value: str, name: str) -> str:
    """``value`` cut to the field's limit (``records.MAX_FIELD_CHARS``)."""
    limit = MAX_FIELD_CHARS[name]
    return value if len(value) <= limit else value[:limit].rstrip()


def bounded_sections(sections: list[Section]) -> list[Section]:
    """At most MAX_SECTIONS sections (later text joins the last), each field within limits."""
    if len(sections) > MAX_SECTIONS:
        rest = sections[MAX_SECTIONS - 1 :]
        text = "\n\n".join(p for s in rest for p in (s.heading, s.text) if p)
        last = Section(heading=rest[0].heading, anchor=rest[0].anchor, text=text)
        sections = [*sections[: MAX_SECTIONS - 1], last]
    return [
        Section(
            heading=cut(s.heading, "heading"),
            anchor=cut(s.anchor, "url"),
            text=cut(s.text, "text"),
        )
        for s in sections
    ]

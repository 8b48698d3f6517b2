"""Query -> results: the one search behind the CLI, the JSON API, the page and ``eval``.

``search()`` checks the request, parses the text (``query``), ranks through the view's
``Ranker`` (``scorer``), and turns the best articles into :class:`Results`: each article's best
section with its snippet (``snippets``), its other matching sections, topic facets and a "did
you mean" (``suggest``). ``Results.to_dict()`` is the API's JSON; the page renders the same
dict. It follows no index link itself: the caller's ``Session`` gives it one ``View`` per
request. This module imports neither Flask nor click.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace

from .config import default
from .errors import BadQuery
from .query import ParsedQuery, parse_query
from .scorer import BuiltQuery, Hit, Ranker
from .session import View
from .snippets import Snippet, make_snippet
from .suggest import suggest
from .text import slugify, topic_label
from .urls import safe_link


@dataclass(frozen=True)
class Section:
    heading: str
    anchor: str
    url: str
    score: float


@dataclass(frozen=True)
class Result:
    article_id: str
    url: str  # the best section's link
    article_url: str  # the article's own page
    title: str
    topic: str
    topic_label: str
    heading: str
    anchor: str
    published: str | None
    score: float
    snippet: Snippet | None
    more_sections: list[Section] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "article_id": self.article_id,
            "url": self.url,
            "article_url": self.article_url,
            "title": self.title,
            "topic": self.topic,
            "topic_label": self.topic_label,
            "heading": self.heading,
            "anchor": self.anchor,
            "published": self.published,
            "score": self.score,
            "snippet": self.snippet.html if self.snippet else None,
            "more_sections": [vars(s).copy() for s in self.more_sections],
        }


@dataclass(frozen=True)
class Results:
    query: str
    topic: str | None
    total: int
    page: int
    per_page: int
    results: list[Result]
    facets: list[tuple[str, int]] | None  # None when not asked for
    labels: dict[str, str]  # topic slug -> label to show
    suggestion: str | None
    sort: str = "relevance"  # or "newest": asked for, or a topic listed without query words
    notice: str | None = None  # why nothing was searched, when nothing was
    took_ms: float = 0.0
    # The JSON form, made once when a result page is cached: a cache hit then costs a dict
    # copy, not ten results rebuilt.
    json: dict | None = field(default=None, compare=False, repr=False)

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.per_page)

    def to_dict(self) -> dict:
        if self.json is not None:
            return {**self.json, "took_ms": self.took_ms}
        facets = (
            {}
            if self.facets is None
            else {
                "topic": [
                    {"value": t, "label": self.labels.get(t) or topic_label(t), "count": c}
                    for t, c in self.facets
                ]
            }
        )
        return {
            "query": self.query,
            "topic": self.topic,
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "pages": self.pages,
            "took_ms": self.took_ms,
            "results": [r.to_dict() for r in self.results],
            "facets": facets,
            "suggestion": self.suggestion,
            "sort": self.sort,
            "notice": self.notice,
        }


SORTS = ("relevance", "newest")


def check_paging(page: int, per_page: int, max_per_page: int) -> None:
    """:raise BadQuery: for a page below 1 or a page size outside 1..max_per_page."""
    if page < 1:
        raise BadQuery("page must be 1 or more")
    if not 1 <= per_page <= max_per_page:
        raise BadQuery(f"per_page must be between 1 and {max_per_page}")


def search(
    view: View,
    text: str,
    *,
    topic: str | None = None,
    page: int = 1,
    per_page: int = default("PER_PAGE"),
    max_per_page: int = default("MAX_PER_PAGE"),
    max_length: int = default("MAX_QUERY_LENGTH"),
    facets: bool = True,
    snippets: bool = True,
    explain_empty: bool = False,
    sort: str = "relevance",
) -> Results:
    """Rank articles for ``text``; the best section of each, with its snippet.

    With no words to look for but a topic (``topic=`` or ``topic:``), lists that topic's
    articles, newest first.

    :param topic: only articles of this topic (as ``topic:`` in the query does).
    :param facets: count matching articles per topic (over all matches, topic filter aside).
    :param snippets: build highlighted snippets.
    A query of only words too common to index finds nothing, and ``notice`` says why.

    :param sort: "relevance" (best first) or "newest" (the matching articles, newest first).
    :param explain_empty: answer a query with nothing to look for (empty, only spaces,
        punctuation or exclusions) the same way, instead of raising ``BadQuery`` (the API and
        the page do; the CLI does not).
    :raise BadQuery: for an empty or too long query, a malformed one (``a*``, ``topic:``), or
        bad paging.
    """
    started = time.perf_counter()
    check_paging(page, per_page, max_per_page)
    if len(text or "") > max_length:  # as given: the API's schema counts every character
        raise BadQuery(f"the query is too long: at most {max_length} characters")
    text = (text or "").strip()
    if not text and not topic and not explain_empty:
        raise BadQuery("the query is empty: type some words to search for")
    if sort not in SORTS:
        raise BadQuery(f"sort must be one of {', '.join(SORTS)}, got {sort!r}")
    key = (view.generation, text, topic, page, per_page, facets, snippets, explain_empty, sort)
    cached = view.results.get(key) if view.results is not None else None
    if cached is None:
        cached = _run(view, text, topic, page, per_page, facets, snippets, explain_empty, sort)
        if view.results is not None:
            cached = replace(cached, json=cached.to_dict())
            view.results.put(key, cached)
    return replace(cached, took_ms=round((time.perf_counter() - started) * 1000, 2))


def _run(
    view: View,
    text: str,
    topic: str | None,
    page: int,
    per_page: int,
    facets: bool,
    snippets: bool,
    explain_empty: bool,
    sort: str = "relevance",
) -> Results:
    ranker = view.ranker
    parsed = parse_query(text)
    if topic:
        parsed.topics.append(slugify(topic))
    listing = parsed.is_empty and bool(parsed.topics) and not parsed.excluded
    if parsed.is_empty and not listing:
        if not explain_empty:
            raise BadQuery("the query has nothing to look for: give at least one word")
        return _nothing_to_look_for(view, text, parsed, page, per_page, facets)
    built = ranker.build(parsed)
    need = page * per_page
    newest = listing or sort == "newest"
    if listing:
        ranking = ranker.browse(built, need, facets)
    else:
        ranking = ranker.rank(built, need, facets, newest=newest)
    terms = set(built.weights)
    results = [
        _result(ranker, hit, terms, snippets) for hit in ranking.hits[(page - 1) * per_page :]
    ]
    return Results(
        query=text,
        topic=parsed.topics[0] if len(parsed.topics) == 1 else None,
        total=ranking.total,
        page=page,
        per_page=per_page,
        results=results,
        facets=ranking.facets if facets else None,
        labels=view.record.topic_labels,
        suggestion=None if listing else suggest(ranker, parsed.words, text),
        sort="newest" if newest else "relevance",
        notice=_nothing_searched(parsed, built),
    )


def _nothing_to_look_for(
    view: View, text: str, parsed: ParsedQuery, page: int, per_page: int, facets: bool
) -> Results:
    """No results for a query without a word, phrase or prefix, and the reason."""
    if not text:
        notice = "the query is empty: type some words to search for, or pick a topic"
    elif parsed.excluded or parsed.excluded_topics:
        notice = "the query only leaves things out: add a word that says what you are looking for"
    else:
        notice = "the query has no words to look for: type some words to search for"
    return Results(
        query=text,
        topic=parsed.topics[0] if len(parsed.topics) == 1 else None,
        total=0,
        page=page,
        per_page=per_page,
        results=[],
        facets=[] if facets else None,
        labels=view.record.topic_labels,
        suggestion=None,
        notice=notice,
    )


def _nothing_searched(parsed: ParsedQuery, built: BuiltQuery) -> str | None:
    """Why a query with words searched nothing: they were all too common to index."""
    if built.weights or built.required or not (parsed.words or parsed.phrases):
        return None
    typed = " ".join(f"'{w}'" for w in parsed.words + parsed.phrases)
    return (
        f"{typed} {'is' if len(parsed.words + parsed.phrases) == 1 else 'are'} too common to "
        "search for: add a word that says what you are looking for"
    )


def _result(ranker: Ranker, hit: Hit, terms: set[str], snippets: bool) -> Result:
    best = ranker.section(hit.doc)
    more = []
    for doc, section_score in hit.more:
        s = ranker.section(doc)
        more.append(
            Section(s.heading, s.anchor, section_url(s.url, s.anchor), round(section_score, 4))
        )
    article_url = safe_link(best.url)
    return Result(
        article_id=best.article_id,
        url=section_url(article_url, best.anchor),
        article_url=article_url,
        title=best.title,
        topic=best.topic,
        topic_label=best.topic_label,
        heading=best.heading,
        anchor=best.anchor,
        published=best.published,
        score=round(hit.score, 4),
        snippet=make_snippet(best.text, terms) if snippets else None,
        more_sections=more,
    )


def section_url(url: str, anchor: str) -> str:
    """The link to a section: the article's URL and the anchor; "" when the URL may not be a
    link (``urls.safe_link``: only http, https and relative URLs are)."""
    url = safe_link(url)
    return f"{url}#{anchor}" if url and anchor else url

"""Query -> results: parsing what readers type, ranking, grouping, snippets, facets.

One ``search()`` serves the CLI, the JSON API, the search page and ``searchsvc eval``, and
returns one plain dict. Readers' text is parsed here, not by Whoosh's query parser, because
real questions contain ``?``, ``*``, ``:`` and parentheses that Whoosh reads as syntax. The
grammar is small: words (ranked, any may match), ``"quoted phrases"`` (required), ``-word``
and ``-"phrase"`` (excluded), ``topic:name`` (filter), ``word*`` (prefix, bounded).

A ``Session`` holds one Whoosh searcher over the live generation and reopens it only when
``current`` points elsewhere; Whoosh searchers are not thread-safe, so each thread owns a
session. This module imports neither Flask nor click.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from html import escape
from itertools import pairwise
from pathlib import Path

import numpy as np
from whoosh import query as wq

from .index import OpenIndex, generation_name, open_index
from .ranking import BM25, text_analyzer, word_analyzer

TITLE_BOOST = 1.0
HEADING_BOOST = 0.5
PREFIX_MIN = 2
PREFIX_EXPANSIONS = 32
MAX_TERMS = 64
SNIPPET_CHARS = 220


class BadQuery(ValueError):
    """The query or a search parameter cannot be used; the message says why."""

    status = 400


# --- parsing ---------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""(?P<neg>-(?=["\w]))?
        (?:
          (?P<field>topic):(?:"(?P<fvq>[^"]*)"?|(?P<fv>\S*))
        | "(?P<phrase>[^"]*)"?
        | (?P<word>[^\s"]+)
        )""",
    re.VERBOSE | re.IGNORECASE,
)
_WORD_CHARS = re.compile(r"\w", re.UNICODE)


@dataclass
class ParsedQuery:
    words: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)  # words and phrases alike
    topics: list[str] = field(default_factory=list)
    excluded_topics: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.words or self.phrases or self.prefixes)


def topic_slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")


def parse_query(text: str) -> ParsedQuery:
    """Split what a reader typed into words, phrases, prefixes, exclusions and filters.

    Unbalanced quotes close at the end; punctuation is left to the analyzer, which ignores it.

    :raise BadQuery: for a prefix shorter than two letters or an empty ``topic:``.
    """
    parsed = ParsedQuery()
    for m in _TOKEN.finditer(text):
        negative = bool(m.group("neg"))
        if m.group("field"):
            value = topic_slug(m.group("fvq") or m.group("fv") or "")
            if not value:
                raise BadQuery("topic: needs a name, e.g. topic:medicines")
            (parsed.excluded_topics if negative else parsed.topics).append(value)
        elif m.group("phrase") is not None:
            phrase = m.group("phrase").strip()
            if phrase:
                (parsed.excluded if negative else parsed.phrases).append(phrase)
        else:
            word = m.group("word")
            if word.endswith("*") and not negative:
                stem = word.rstrip("*").strip("\"'()[]{}.,;:!?")
                if len(_WORD_CHARS.findall(stem)) < PREFIX_MIN:
                    raise BadQuery(
                        f"prefix {word!r} is too short: give at least {PREFIX_MIN} letters"
                    )
                parsed.prefixes.append(stem)
            elif _WORD_CHARS.search(word):
                (parsed.excluded if negative else parsed.words).append(word)
    return parsed


# --- building the Whoosh query --------------------------------------------------------------

_ranked = text_analyzer()
_plain = word_analyzer()


def stems(text: str) -> list[str]:
    """The index terms of ``text``: what the ranked fields hold for it."""
    return [t.text for t in _ranked(text)]


def _phrase_query(text: str) -> wq.Query | None:
    tokens = [(t.text, t.pos) for t in _ranked(text, positions=True)]
    if not tokens:
        return None
    if len(tokens) == 1:
        return wq.Term("body", tokens[0][0])
    # Stop words leave gaps in positions; allow exactly those gaps.
    slop = max(b[1] - a[1] for a, b in pairwise(tokens))
    return wq.Phrase("body", [t for t, _ in tokens], slop=slop)


def _term_clauses(term: str, weight: float) -> list[wq.Query]:
    clauses = [wq.Term("body", term, boost=weight)]
    if TITLE_BOOST:
        clauses.append(wq.Term("title", term, boost=weight * TITLE_BOOST))
    if HEADING_BOOST:
        clauses.append(wq.Term("heading", term, boost=weight * HEADING_BOOST))
    return clauses


def _expand_prefix(reader, prefix: str) -> list[str]:
    """The most common index terms of words starting with ``prefix``, at most a few dozen."""
    prefix = "".join(t.text for t in _plain(prefix))
    if not prefix:
        return []
    candidates = []
    for i, word in enumerate(reader.expand_prefix("words", prefix)):
        if i >= 2000:  # a short prefix over a big vocabulary: the first 2000 are plenty
            break
        word = word.decode("utf-8") if isinstance(word, bytes) else word
        candidates.append((reader.doc_frequency("words", word), word))
    candidates.sort(reverse=True)
    out: list[str] = []
    for _, word in candidates[:PREFIX_EXPANSIONS]:
        for s in stems(word):
            if s not in out:
                out.append(s)
    return out


@dataclass
class BuiltQuery:
    query: wq.Query
    terms: set[str]  # index terms that count as a match, for snippets
    words: list[str]  # the reader's plain words, for "did you mean"


def build_query(parsed: ParsedQuery, reader) -> BuiltQuery:
    """Turn a parsed query into a Whoosh query: ranked words OR'ed, phrases required.

    A word typed twice counts twice (Whoosh's Or would fold the duplicates away).
    """
    weights: Counter[str] = Counter()
    for word in parsed.words:
        weights.update(stems(word))
    terms = set(weights)
    should: list[wq.Query] = []
    for term, count in list(weights.items())[:MAX_TERMS]:
        should.extend(_term_clauses(term, float(count)))
    for prefix in parsed.prefixes:
        expanded = _expand_prefix(reader, prefix)
        terms.update(expanded)
        if expanded:
            should.append(wq.Or([wq.Term("body", t) for t in expanded]))
        else:
            should.append(wq.NullQuery)
    must = [q for q in map(_phrase_query, parsed.phrases) if q is not None]
    for phrase in parsed.phrases:
        terms.update(stems(phrase))
    if must and should:
        q: wq.Query = wq.AndMaybe(wq.And(must), wq.Or(should))
    elif must:
        q = wq.And(must)
    else:
        q = wq.Or(should)
    excluded = [q for q in map(_phrase_query, parsed.excluded) if q is not None]
    if excluded:
        q = wq.AndNot(q, wq.Or(excluded))
    return BuiltQuery(q, terms, parsed.words)


# --- sessions --------------------------------------------------------------------------------


@dataclass
class DocTable:
    """Per-generation arrays: docnum -> article ordinal and topic ordinal."""

    article_of: np.ndarray
    topic_of: np.ndarray
    topics: list[str]

    @classmethod
    def load(cls, reader) -> DocTable:
        n = reader.doc_count_all()
        articles = reader.column_reader("article_id")
        topics_col = reader.column_reader("topic")
        article_ids: dict[str, int] = {}
        topic_ids: dict[str, int] = {}
        article_of = np.empty(n, dtype=np.int64)
        topic_of = np.empty(n, dtype=np.int32)
        for docnum in range(n):
            article_of[docnum] = article_ids.setdefault(articles[docnum], len(article_ids))
            topic_of[docnum] = topic_ids.setdefault(topics_col[docnum], len(topic_ids))
        names = [""] * len(topic_ids)
        for name, i in topic_ids.items():
            names[i] = name.decode() if isinstance(name, bytes) else name
        return cls(article_of, topic_of, names)


class _ResultCache:
    """A small LRU of result dicts keyed by generation and request, shared by threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[tuple, dict] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> dict | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: tuple, value: dict) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)


_tables: dict[str, DocTable] = {}
_tables_lock = threading.Lock()


class Session:
    """One thread's view of an index folder: a searcher on the live generation.

    :raise IndexUnavailable: from ``refresh()`` while no index exists.
    """

    def __init__(self, index_dir: Path | str, cache_size: int = 512) -> None:
        self.index_dir = Path(index_dir)
        self.cache = _ResultCache(cache_size)
        self.opened: OpenIndex | None = None
        self.searcher = None

    def refresh(self) -> None:
        """Follow ``current`` if it moved; cheap (one readlink) when it has not."""
        name = generation_name(self.index_dir)
        if self.opened is not None and name == self.opened.name:
            return
        opened = open_index(self.index_dir)
        self.close()
        self.opened = opened
        self.searcher = opened.index.searcher(weighting=BM25())

    @property
    def generation(self) -> str:
        return self.opened.name if self.opened else ""

    def doc_table(self) -> DocTable:
        key = str(self.opened.path)
        table = _tables.get(key)
        if table is None:
            with _tables_lock:
                table = _tables.get(key) or DocTable.load(self.searcher.reader())
                _tables.clear()  # only the live generation is worth keeping
                _tables[key] = table
        return table

    def close(self) -> None:
        if self.searcher is not None:
            self.searcher.close()
        self.searcher = None
        self.opened = None

    def __enter__(self) -> Session:
        self.refresh()
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --- searching -------------------------------------------------------------------------------


def check_paging(page: int, per_page: int, max_per_page: int = 100) -> None:
    """:raise BadQuery: for a page below 1 or a page size outside 1..max_per_page."""
    if page < 1:
        raise BadQuery("page must be 1 or more")
    if not 1 <= per_page <= max_per_page:
        raise BadQuery(f"per_page must be between 1 and {max_per_page}")


def search(
    session: Session,
    text: str,
    *,
    topic: str | None = None,
    page: int = 1,
    per_page: int = 10,
    max_per_page: int = 100,
    max_length: int = 1000,
    facets: bool = True,
    snippets: bool = True,
) -> dict:
    """Rank articles for ``text``; the best section of each, with its snippet.

    :param topic: only articles of this topic (as ``topic:`` in the query does).
    :param facets: count matching articles per topic (over all matches, topic filter aside).
    :param snippets: build highlighted snippets (an HTML string, everything escaped but <mark>).
    :raise BadQuery: for an empty, too long or malformed query, or bad paging.
    :raise IndexUnavailable: while there is no index.
    """
    started = time.perf_counter()
    check_paging(page, per_page, max_per_page)
    text = (text or "").strip()
    if not text:
        raise BadQuery("the query is empty: type some words to search for")
    if len(text) > max_length:
        raise BadQuery(f"the query is too long: at most {max_length} characters")
    session.refresh()
    key = (session.generation, text, topic, page, per_page, facets, snippets)
    cached = session.cache.get(key)
    if cached is not None:
        return {**cached, "took_ms": _ms_since(started)}
    parsed = parse_query(text)
    if topic:
        parsed.topics.append(topic_slug(topic))
    if parsed.is_empty:
        raise BadQuery("the query has nothing to look for: give at least one word")
    result = _run(session, text, parsed, page, per_page, facets, snippets)
    session.cache.put(key, result)
    return {**result, "took_ms": _ms_since(started)}


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _topic_filter(parsed: ParsedQuery) -> tuple[wq.Query | None, wq.Query | None]:
    keep = wq.Or([wq.Term("topic", t) for t in parsed.topics]) if parsed.topics else None
    drop = (
        wq.Or([wq.Term("topic", t) for t in parsed.excluded_topics])
        if parsed.excluded_topics
        else None
    )
    return keep, drop


def _run(session, text, parsed, page, per_page, facets, snippets) -> dict:
    searcher = session.searcher
    built = build_query(parsed, searcher.reader())
    keep, drop = _topic_filter(parsed)
    need = page * per_page
    groups = _top_articles(searcher, built.query, need, keep, drop)
    total, facet_counts = _count_matches(session, built.query, keep, drop, facets)
    shown = list(groups.values())[(page - 1) * per_page : need]
    results = [_result(searcher, hits, built.terms, snippets) for hits in shown]
    return {
        "query": text,
        "topic": parsed.topics[0] if len(parsed.topics) == 1 else None,
        "total": total,
        "page": page,
        "per_page": per_page,
        "pages": math.ceil(total / per_page) if total else 0,
        "results": results,
        "facets": {"topic": facet_counts} if facets else {},
        "suggestion": suggest(searcher, built.words, text),
    }


def _top_articles(searcher, q, need, keep, drop) -> OrderedDict[str, list]:
    """The best ``need`` articles, each with its matching sections best first.

    Sections are fetched in rounds of growing size until enough distinct articles are seen
    or the matches run out; most pages need one round.
    """
    limit = max(need * 3, 10)
    while True:
        hits = searcher.search(q, limit=limit, filter=keep, mask=drop)
        groups: OrderedDict[str, list] = OrderedDict()
        for hit in hits:
            groups.setdefault(hit["article_id"], []).append((hit.docnum, hit.score))
        if len(groups) >= need or hits.scored_length() < limit:
            return groups
        limit *= 4


def _count_matches(session, q, keep, drop, facets) -> tuple[int, list[dict]]:
    """Matching articles in all, and per topic (the topic filter aside, so readers see the
    counts of the topics they could switch to)."""
    searcher = session.searcher
    docs = np.fromiter(searcher.docs_for_query(q), dtype=np.int64)
    table = session.doc_table()
    if drop is not None and docs.size:
        docs = np.setdiff1d(docs, np.fromiter(searcher.docs_for_query(drop), dtype=np.int64))
    counts: list[dict] = []
    if facets and docs.size:
        firsts = _first_section_per_article(table, docs)
        per_topic = np.bincount(table.topic_of[firsts], minlength=len(table.topics))
        counts = [
            {"value": table.topics[i], "count": int(c)}
            for i, c in sorted(enumerate(per_topic), key=lambda ic: (-ic[1], table.topics[ic[0]]))
            if c
        ]
    if keep is not None and docs.size:
        wanted = np.fromiter(searcher.docs_for_query(keep), dtype=np.int64)
        docs = np.intersect1d(docs, wanted)
    total = int(np.unique(table.article_of[docs]).size) if docs.size else 0
    return total, counts


def _first_section_per_article(table: DocTable, docs: np.ndarray) -> np.ndarray:
    _, first = np.unique(table.article_of[docs], return_index=True)
    return docs[first]


def _result(searcher, hits: list, terms: set[str], snippets: bool) -> dict:
    best_doc, best_score = hits[0]
    best = searcher.stored_fields(best_doc)
    more = []
    for docnum, score in hits[1:]:
        f = searcher.stored_fields(docnum)
        more.append(
            {
                "heading": f["heading"],
                "anchor": f["anchor"],
                "url": section_url(f["url"], f["anchor"]),
                "score": round(score, 4),
            }
        )
    return {
        "article_id": best["article_id"],
        "url": section_url(best["url"], best["anchor"]),
        "title": best["title"],
        "topic": best["topic"],
        "heading": best["heading"],
        "anchor": best["anchor"],
        "published": best.get("published"),
        "score": round(best_score, 4),
        "snippet": make_snippet(best["text"], terms) if snippets else None,
        "more_sections": more,
    }


def section_url(url: str, anchor: str) -> str:
    return f"{url}#{anchor}" if url and anchor else url


# --- snippets --------------------------------------------------------------------------------


def make_snippet(text: str, terms: set[str], size: int = SNIPPET_CHARS) -> str:
    """The window of ``text`` with the most distinct query terms, matches in ``<mark>``.

    Everything but the marks is HTML-escaped, so the result is safe to put in a page as is.
    """
    text = text[:20000]  # long sections: the first screenfuls hold the useful window
    spans = [(t.startchar, t.endchar, t.text) for t in _ranked(text, chars=True) if t.text in terms]
    start, end = _best_window(text, spans, size)
    shown = [(s, e) for s, e, _ in spans if s >= start and e <= end]
    out, pos = [], start
    for s, e in shown:
        out.append(escape(text[pos:s]))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        pos = e
    out.append(escape(text[pos:end]))
    body = "".join(out).strip()
    return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")


def _best_window(text: str, spans: list, size: int) -> tuple[int, int]:
    if len(text) <= size:
        return 0, len(text)
    best_start, best_score = 0, -1
    for i, (s, _, _) in enumerate(spans):
        seen = {t for s2, e2, t in spans[i:] if e2 <= s + size}
        score = len(seen) * 1000 - i  # most distinct terms, then earliest
        if score > best_score:
            best_start, best_score = s, score
    if best_score < 0:
        return 0, _cut(text, size)
    # Start a little before the first match, at a word boundary, to give it context.
    start = max(0, best_start - size // 4)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < best_start else best_start
    return start, _cut(text, start + size)


def _cut(text: str, end: int) -> int:
    if end >= len(text):
        return len(text)
    space = text.rfind(" ", 0, end)
    return space if space > 0 else end


# --- did you mean ----------------------------------------------------------------------------


def suggest(searcher, words: list[str], text: str) -> str | None:
    """The query with its unknown words replaced by the closest known ones, or None."""
    replacements = {}
    for word in words:
        typed = "".join(t.text for t in _plain(word))
        if not typed or not stems(word):
            continue  # a stop word or punctuation
        if any(searcher.doc_frequency("body", s) for s in stems(word)):
            continue
        found = searcher.suggest("words", typed, limit=1, maxdist=2)
        if found and found[0] != typed:
            replacements[word] = found[0]
    if not replacements:
        return None
    pattern = re.compile("|".join(re.escape(w) for w in sorted(replacements, key=len)[::-1]))
    return pattern.sub(lambda m: replacements[m.group(0)], text)

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
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein
from whoosh import query as wq

from .index import OpenIndex, generation_name, open_index
from .ranking import K3, STOP_WORDS, WORD_PATTERN, fold, match_spans, term_spans, terms, words
from .scorer import (
    Generation,
    Matches,
    article_sections,
    generation_for,
    match,
    score,
    top_articles,
    topic_counts,
)
from .text import slugify

PREFIX_MIN = 2
PREFIX_EXPANSIONS = 32
MAX_TERMS = 64
SNIPPET_CHARS = 220
PROSE_WORDS = 12


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
_PROSE_OPERATORS = re.compile(r'["*]|(?<!\S)-|(?<=topic):', re.IGNORECASE)


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


def parse_query(text: str) -> ParsedQuery:
    """Split what a reader typed into words, phrases, prefixes, exclusions and filters.

    Unbalanced quotes close at the end; punctuation is left to the analyzer, which ignores it.
    A query of more than ``PROSE_WORDS`` words is prose (a pasted passage, a long question):
    there quotes, dashes, stars and ``topic:`` are punctuation, not operators.

    :raise BadQuery: for a prefix shorter than two letters or an empty ``topic:``.
    """
    parsed = ParsedQuery()
    if len(text.split()) > PROSE_WORDS:
        text = _PROSE_OPERATORS.sub(" ", text)
    for m in _TOKEN.finditer(text):
        negative = bool(m.group("neg"))
        if m.group("field"):
            value = slugify(m.group("fvq") or m.group("fv") or "")
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


# --- building the query ---------------------------------------------------------------------


def _phrase_query(text: str) -> wq.Query | None:
    """A Whoosh query for a quoted phrase (a term when one word is left after stop words)."""
    spans = term_spans(text)
    if not spans:
        return None
    if len(spans) == 1:
        return wq.Term("body", spans[0][2])
    # Stop words leave gaps in positions; allow as many as the phrase has.
    positions = [
        i for i, m in enumerate(_WORDS.finditer(text)) if fold(m.group()) not in STOP_WORDS
    ]
    slop = max(b - a for a, b in pairwise(positions))
    return wq.Phrase("body", [t for _, _, t in spans], slop=slop)


_WORDS = re.compile(WORD_PATTERN)


def _expand_prefix(gen: Generation, reader, prefix: str) -> list[str]:
    """The most common index terms starting with ``prefix`` (or with its stem, so that
    ``running*`` finds "run"), a few dozen at most."""
    typed = fold(prefix)
    starts = {typed, *terms(typed)}
    candidates = set()
    for start in starts:
        for i, term in enumerate(reader.expand_prefix("body", start)):
            if i >= 2000:  # a short prefix over a big vocabulary: the first 2000 are plenty
                break
            candidates.add(term.decode("utf-8") if isinstance(term, bytes) else term)
    ranked = sorted(candidates, key=lambda t: -gen.doc_frequency(reader, t))
    return ranked[:PREFIX_EXPANSIONS]


@dataclass
class BuiltQuery:
    weights: dict[str, float]  # index term -> query weight (how often it was typed)
    required: list[wq.Query]  # phrases every result must contain
    excluded: list[wq.Query]  # words and phrases no result may contain
    words: list[str]  # the reader's plain words, for "did you mean"
    exact: dict[str, float]  # the same words unstemmed -> query weight


def build_query(parsed: ParsedQuery, gen: Generation, reader) -> BuiltQuery:
    """Weigh the query's terms and collect its required and excluded parts.

    A word typed twice counts more (saturating, as BM25's k3); words of a required phrase
    also rank; a prefix spreads one word's weight over its expansions. Words are also
    looked up unstemmed, so their exact form ranks a little higher.
    """
    weights: Counter[str] = Counter()
    typed: Counter[str] = Counter()
    for word in parsed.words + parsed.phrases:
        weights.update(terms(word))
        typed.update(words(word))
    for prefix in parsed.prefixes:
        expanded = _expand_prefix(gen, reader, prefix)
        for t in expanded:
            weights[t] += 1.0 / len(expanded)
    required = [q for q in map(_phrase_query, parsed.phrases) if q is not None]
    excluded = [q for q in map(_phrase_query, parsed.excluded) if q is not None]
    return BuiltQuery(_saturate(weights), required, excluded, parsed.words, _saturate(typed))


def _saturate(counts: Counter[str]) -> dict[str, float]:
    return {t: q * (K3 + 1) / (q + K3) for t, q in counts.most_common(MAX_TERMS)}


# --- sessions --------------------------------------------------------------------------------


class ResultCache:
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


class Session:
    """One thread's view of an index folder: a searcher on the live generation.

    :raise IndexUnavailable: from ``refresh()`` while no index exists.
    """

    def __init__(
        self, index_dir: Path | str, cache_size: int = 512, cache: ResultCache | None = None
    ) -> None:
        """:param cache: a cache shared with other sessions (threads) of the process."""
        self.index_dir = Path(index_dir)
        self.cache = cache if cache is not None else ResultCache(cache_size)
        self.opened: OpenIndex | None = None
        self.searcher = None
        self.arrays: Generation | None = None

    def refresh(self) -> None:
        """Follow ``current`` if it moved; cheap (one readlink) when it has not."""
        name = generation_name(self.index_dir)
        if self.opened is not None and name == self.opened.name:
            return
        opened = open_index(self.index_dir)
        self.close()
        self.opened = opened
        self.searcher = opened.index.searcher()
        self.arrays = generation_for(str(opened.path.resolve()), self.searcher.reader())

    @property
    def generation(self) -> str:
        return self.opened.name if self.opened else ""

    def close(self) -> None:
        if self.searcher is not None:
            self.searcher.close()
        self.searcher = None
        self.opened = None
        self.arrays = None

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
        parsed.topics.append(slugify(topic))
    if parsed.is_empty:
        raise BadQuery("the query has nothing to look for: give at least one word")
    result = _run(session, text, parsed, page, per_page, facets, snippets)
    session.cache.put(key, result)
    return {**result, "took_ms": _ms_since(started)}


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _doc_mask(searcher, size: int, queries: list[wq.Query]) -> np.ndarray:
    """Sections matching every one of ``queries``."""
    mask = np.ones(size, dtype=bool)
    for q in queries:
        hits = np.zeros(size, dtype=bool)
        hits[np.fromiter(searcher.docs_for_query(q), dtype=np.int64)] = True
        mask &= hits
    return mask


def _allowed(session: Session, built: BuiltQuery) -> np.ndarray:
    gen, searcher = session.arrays, session.searcher
    allowed = gen.live
    if built.required:
        allowed = allowed & _doc_mask(searcher, gen.size, built.required)
    if built.excluded:
        allowed = allowed & ~_doc_mask(searcher, gen.size, [wq.Or(built.excluded)])
    return allowed


def _topic_mask(gen: Generation, parsed: ParsedQuery) -> np.ndarray | None:
    """Which topic ordinals pass the query's topic filters, or None for all."""
    if not parsed.topics and not parsed.excluded_topics:
        return None
    keep = np.array([not parsed.topics or t in parsed.topics for t in gen.topics], dtype=bool)
    drop = np.array([t in parsed.excluded_topics for t in gen.topics], dtype=bool)
    return keep & ~drop


def _run(session, text, parsed, page, per_page, facets, snippets) -> dict:
    gen, searcher = session.arrays, session.searcher
    reader = searcher.reader()
    built = build_query(parsed, gen, reader)
    matches = match(gen, score(gen, reader, built.weights, built.exact), _allowed(session, built))
    topics_ok = _topic_mask(gen, parsed)
    article_ok = None if topics_ok is None else topics_ok[gen.article_topic]
    total, top = top_articles(gen, matches, page * per_page, article_ok)
    results = [
        _result(session, matches, hit, built, snippets) for hit in top[(page - 1) * per_page :]
    ]
    facet_counts = topic_counts(gen, matches) if facets else []
    return {
        "query": text,
        "topic": parsed.topics[0] if len(parsed.topics) == 1 else None,
        "total": total,
        "page": page,
        "per_page": per_page,
        "pages": math.ceil(total / per_page),
        "results": results,
        "facets": {"topic": [{"value": t, "count": c} for t, c in facet_counts]} if facets else {},
        "suggestion": suggest(session, built.words, text),
    }


def _result(session: Session, matches: Matches, hit: tuple, built: BuiltQuery, snippets: bool):
    searcher = session.searcher
    article, best_doc, best_score = hit
    best = searcher.stored_fields(best_doc)
    more = []
    for docnum, section_score in article_sections(session.arrays, matches, article):
        if docnum == best_doc:
            continue
        f = searcher.stored_fields(docnum)
        more.append(
            {
                "heading": f["heading"],
                "anchor": f["anchor"],
                "url": section_url(f["url"], f["anchor"]),
                "score": round(section_score, 4),
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
        "snippet": make_snippet(best["text"], set(built.weights)) if snippets else None,
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
    spans = match_spans(text, terms)
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


def suggest(session: Session, words: list[str], text: str) -> str | None:
    """The query with its unknown words replaced by the closest known ones, or None.

    A word is unknown when none of its index terms occurs anywhere. Its replacement is the
    most common index term within two edits (rapidfuzz does the distance work in C), shown
    as a word the articles really use: terms are stems ("medicin"), so the word is taken from
    a section that contains it.
    """
    gen, searcher = session.arrays, session.searcher
    reader = searcher.reader()
    replacements = {}
    for word in words:
        word_terms = terms(word)
        if not word_terms or any(gen.doc_frequency(reader, t) for t in word_terms):
            continue  # a stop word, or known
        vocabulary, counts = gen.vocabulary(reader)
        close = process.extract(
            fold(word), vocabulary, scorer=DamerauLevenshtein.distance, score_cutoff=2, limit=50
        )
        if close:
            term = min(close, key=lambda c: (c[1], -counts[c[2]]))[0]
            replacements[word] = _surface_word(gen, searcher, term, word)
    if not replacements:
        return None
    pattern = re.compile("|".join(re.escape(w) for w in sorted(replacements, key=len)[::-1]))
    return pattern.sub(lambda m: replacements[m.group(0)], text)


def _surface_word(gen: Generation, searcher, term: str, typed: str) -> str:
    """The word, as the articles write it, whose index term is ``term`` and which is closest
    to what was typed (so "medecine" becomes "medicine", not "medicines")."""
    vector = gen.term(searcher.reader(), "body", term)
    forms = set()
    for docnum in vector.ids[:5]:
        stored = searcher.stored_fields(int(docnum))
        body = f"{stored['title']}\n{stored['heading']}\n{stored['text']}"
        forms.update(body[s:e].lower() for s, e, found in term_spans(body) if found == term)
    if not forms:
        return term
    return min(sorted(forms), key=lambda f: DamerauLevenshtein.distance(fold(typed), fold(f)))

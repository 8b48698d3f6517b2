"""BM25 over cached posting arrays: the only query-time user of Whoosh.

Whoosh stores the index; scoring a long natural-language query with Whoosh's matcher tree
costs tens of milliseconds in pure Python. Here a generation is loaded once per process into
:class:`SectionArrays` (field length norms, live sections, article and topic of every section),
and each term's posting list is read once and kept as a vector of BM25 contributions in a
budgeted LRU. A query is then a handful of vectorised additions into one score array, which
also yields exact totals and facet counts. The array functions below (``score``, ``match``,
``top_articles``, ``topic_counts``, ``article_sections``) work on plain arrays and are tested on
hand-made ones. A :class:`Ranker` is one thread's view: its own Whoosh searcher (they are not
thread-safe) over the process's shared arrays; it builds a query from a ``ParsedQuery``
(prefix expansion, phrase and exclusion masks), ranks, and reads stored sections back.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from typing import NamedTuple

import numpy as np
from whoosh import query as wq
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from ._whoosh import EMPTY_IDS, EMPTY_WEIGHTS, field_lengths, read_postings
from .index.schema import BODY, EXACT, HEADING, TITLE
from .lru import LRU
from .query import ParsedQuery
from .ranking import STOP_WORDS, WORD_PATTERN, RankingParams, fold, lucene_idf, term_spans, terms
from .ranking import words as typed_words

ENTRY_BYTES = 8  # a cached posting is an int32 id and a float32 contribution
PREFIX_EXPANSIONS = 32
PREFIX_SCAN = 2000  # a short prefix over a big vocabulary: the first 2000 terms are plenty
MAX_TERMS = 64
DEFAULT_PARAMS = RankingParams()


@dataclass(frozen=True)
class TermVector:
    """One term's sections and each one's BM25 contribution (idf included)."""

    ids: np.ndarray
    contrib: np.ndarray

    @property
    def size(self) -> int:
        return int(self.ids.size)


EMPTY = TermVector(EMPTY_IDS, EMPTY_WEIGHTS)


class StoredSection(NamedTuple):
    """A section's stored fields, as the results show them."""

    article_id: str
    anchor: str
    url: str
    published: str | None
    topic: str
    topic_label: str
    title: str
    heading: str
    text: str


class Hit(NamedTuple):
    """One ranked article: its best section and the other sections that match."""

    article: int  # ordinal in SectionArrays.article_ids
    doc: int  # best section's docnum
    score: float
    more: list[tuple[int, float]]  # other matching sections (docnum, score), best first


class Ranking(NamedTuple):
    total: int  # matching articles (topic filter applied)
    hits: list[Hit]  # the best ``need`` articles, best first
    facets: list[tuple[str, int]]  # matching articles per topic, topic filter aside


# --- a generation's arrays -------------------------------------------------------------------


class SectionArrays:
    """A generation's per-section arrays, loaded once per process and shared by its threads."""

    def __init__(
        self,
        *,
        live: np.ndarray,
        lengths: dict[str, np.ndarray],
        article_of: np.ndarray,
        article_ids: list[str],
        topic_of: np.ndarray,
        topics: list[str],
        published_of: np.ndarray | None = None,
        published: list[str] | None = None,
        params: RankingParams = DEFAULT_PARAMS,
        postings_budget_mb: int = 512,
    ) -> None:
        self.size = int(live.size)
        self.live = live
        self.doc_count = int(live.sum())
        self.params = params
        self.norms = {f: self._length_norm(v) for f, v in lengths.items()}
        self.article_of, self.article_ids = article_of, article_ids
        self.topic_of, self.topics = topic_of, topics
        self.article_topic = np.zeros(len(article_ids), dtype=np.int16)
        self.article_topic[article_of] = topic_of
        self.article_recency = self._recency(published_of, published or [])
        self.recency_factor = self._recency_factor()
        # Sections grouped by article (CSR): article a owns _by_article[_starts[a]:_starts[a+1]].
        self._by_article = np.argsort(article_of, kind="stable").astype(np.int32)
        self._starts = np.searchsorted(
            article_of[self._by_article], np.arange(len(article_ids) + 1)
        )
        self._postings: LRU[tuple[str, str], TermVector] = LRU(
            max(0, postings_budget_mb) * 2**20 // ENTRY_BYTES, weigh=lambda v: v.size
        )
        self._vocabulary: tuple[list[str], np.ndarray] | None = None
        self._lock = threading.Lock()

    @classmethod
    def load(
        cls, reader: IndexReader, params: RankingParams, postings_budget_mb: int
    ) -> SectionArrays:
        size = reader.doc_count_all()
        live = np.ones(size, dtype=bool)
        if reader.has_deletions():
            live[:] = False
            live[np.fromiter(reader.all_doc_ids(), dtype=np.int64)] = True
        article_of, article_ids = _ordinals(reader, "article_id", np.int32, size)
        topic_of, topics = _ordinals(reader, "topic", np.int16, size)
        published_of, published = _ordinals(reader, "published", np.int32, size)
        return cls(
            live=live,
            lengths={f: field_lengths(reader, f) for f in (BODY, TITLE, HEADING, EXACT)},
            article_of=article_of,
            article_ids=article_ids,
            topic_of=topic_of,
            topics=topics,
            published_of=published_of,
            published=published,
            params=params,
            postings_budget_mb=postings_budget_mb,
        )

    def _recency(self, published_of: np.ndarray | None, published: list[str]) -> np.ndarray:
        """Per article: the rank of its publication date, higher is newer, 0 for undated."""
        recency = np.zeros(len(self.article_ids), dtype=np.int32)
        if published_of is None or not published:
            return recency
        order = sorted(range(len(published)), key=published.__getitem__)
        rank_of = np.zeros(len(published), dtype=np.int32)
        for rank, i in enumerate(order, start=1):
            rank_of[i] = rank if published[i] else 0
        recency[self.article_of] = rank_of[published_of]
        return recency

    def _recency_factor(self) -> np.ndarray | None:
        """Per section: 1 + params.recency * (its article's date rank / the newest's), or None
        when the boost is off or nothing is dated."""
        newest = int(self.article_recency.max()) if self.article_recency.size else 0
        if self.params.recency <= 0 or newest == 0:
            return None
        share = self.article_recency[self.article_of].astype(np.float32) / newest
        return (1 + self.params.recency * share).astype(np.float32)

    def _length_norm(self, lengths: np.ndarray) -> np.ndarray:
        """BM25's per-section ``k1 * (1 - b + b * len / avglen)``."""
        k1, b = self.params.k1, self.params.b
        avg = float(lengths[self.live].mean()) if self.doc_count else 1.0
        return (k1 * (1 - b + b * lengths / (avg or 1.0))).astype(np.float32)

    def sections_of(self, article: int) -> np.ndarray:
        return self._by_article[self._starts[article] : self._starts[article + 1]]

    def term(self, reader: IndexReader, field: str, term: str) -> TermVector:
        """The term's contribution vector, from the cache or read now with ``reader``."""
        key = (field, term)
        hit = self._postings.get(key)
        if hit is not None:
            return hit
        ids, tf = read_postings(reader, field, term)
        vector = EMPTY if ids.size == 0 else self.contributions(field, ids, tf)
        self._postings.put(key, vector)
        return vector

    def contributions(self, field: str, ids: np.ndarray, tf: np.ndarray) -> TermVector:
        k1 = self.params.k1
        idf = lucene_idf(self.doc_count, int(ids.size))
        contrib = idf * tf * (k1 + 1) / (tf + self.norms[field][ids])
        return TermVector(ids, contrib.astype(np.float32))

    def live_frequency(self, reader: IndexReader, term: str) -> int:
        """Live sections containing ``term`` (deleted ones still sit in Whoosh's postings)."""
        vector = self.term(reader, BODY, term)
        if not vector.size or self.doc_count == self.size:
            return vector.size  # no deletions: every posting is live
        return int(np.count_nonzero(self.live[vector.ids]))

    def vocabulary(self, reader: IndexReader) -> tuple[list[str], np.ndarray]:
        """Index terms in at least two sections (deleted ones too), with those counts."""
        with self._lock:
            if self._vocabulary is None:
                # Segment by segment: a multi-segment reader would look each term up in
                # every segment, many times slower.
                counts: dict[str, int] = {}
                for sub, _ in reader.leaf_readers():
                    for word, info in sub.iter_field(BODY):
                        word = word.decode() if isinstance(word, bytes) else word
                        counts[word] = counts.get(word, 0) + info.doc_frequency()
                words = sorted(w for w, n in counts.items() if n >= 2)
                self._vocabulary = (words, np.asarray([counts[w] for w in words], dtype=np.int64))
            return self._vocabulary


def _ordinals(reader: IndexReader, field: str, dtype, size: int) -> tuple[np.ndarray, list[str]]:
    """Each section's value of a sortable field as an ordinal into the distinct values."""
    names: dict[str, int] = {}
    out = np.fromiter(
        (names.setdefault(v, len(names)) for v in _column_values(reader, field)),
        dtype=dtype,
        count=size,
    )
    ordered = [""] * len(names)
    for name, i in names.items():
        ordered[i] = name.decode() if isinstance(name, bytes) else name
    return out, ordered


def _column_values(reader: IndexReader, field: str):
    """A column's values segment by segment; b"" where a segment stored none (every section
    of it lacked the field) or stored fewer than it has sections."""
    for sub, _ in reader.leaf_readers():
        size = sub.doc_count_all()
        values = list(sub.column_reader(field)) if size and sub.has_column(field) else []
        yield from values[:size]
        yield from [b""] * (size - len(values))


# --- array functions -------------------------------------------------------------------------


def score(
    arrays: SectionArrays,
    reader: IndexReader,
    weights: dict[str, float],
    exact: dict[str, float] | None = None,
) -> np.ndarray:
    """BM25F-style scores of every section for stemmed ``weights`` and unstemmed ``exact``
    words, each mapped to its query weight."""
    p = arrays.params
    scores = np.zeros(arrays.size, dtype=np.float32)
    fields = [(BODY, weights, p.body), (TITLE, weights, p.title), (HEADING, weights, p.heading)]
    fields.append((EXACT, exact or {}, p.exact))
    for field, query_terms, field_weight in fields:
        for term, weight in query_terms.items():
            vector = arrays.term(reader, field, term)
            if vector.size:
                scores[vector.ids] += (weight * field_weight) * vector.contrib
    return scores


@dataclass
class Matches:
    """Section scores of one query, restricted to what it allows, and per-article counts."""

    scores: np.ndarray  # per section; 0 where it does not match or is not allowed
    hits: np.ndarray  # per article: how many of its sections match


def match(arrays: SectionArrays, scores: np.ndarray, allowed: np.ndarray) -> Matches:
    scores = np.where(allowed, scores, 0).astype(np.float32, copy=False)
    hits = np.bincount(arrays.article_of[scores > 0], minlength=len(arrays.article_ids))
    return Matches(scores, hits)


def topic_counts(arrays: SectionArrays, m: Matches) -> list[tuple[str, int]]:
    """Matching articles per topic, most first."""
    counts = np.bincount(arrays.article_topic[m.hits > 0], minlength=len(arrays.topics))
    pairs = [(arrays.topics[i], int(c)) for i, c in enumerate(counts) if c]
    return sorted(pairs, key=lambda p: (-p[1], p[0]))


def top_articles(
    arrays: SectionArrays, m: Matches, need: int, article_ok: np.ndarray | None = None
) -> tuple[int, list[tuple[int, int, float]]]:
    """How many articles match, and the best ``need`` as (article, best section, score).

    An article ranks by its best section. Only the top sections are sorted: if the best
    ``k`` sections cover ``need`` articles, those are exactly the top articles, because an
    article missing from them has no section scoring higher than any of them.
    """
    scores = m.scores
    if article_ok is not None:
        scores = np.where(article_ok[arrays.article_of], scores, 0)
        total = int(np.count_nonzero(article_ok & (m.hits > 0)))
    else:
        total = int(np.count_nonzero(m.hits))
    positive = int(np.count_nonzero(scores))
    if positive == 0 or need <= 0:
        return total, []
    k = min(positive, max(need * 4, 16))
    while True:
        top = np.argpartition(-scores, k - 1)[:k] if k < scores.size else np.flatnonzero(scores)
        top = top[np.lexsort((top, -scores[top]))]  # best first, ties by docnum
        best: dict[int, tuple[int, int, float]] = {}
        for doc in top:
            if scores[doc] <= 0:
                break
            article = int(arrays.article_of[doc])
            if article not in best:
                best[article] = (article, int(doc), float(scores[doc]))
                if len(best) == need:
                    break
        if len(best) >= need or k >= positive:
            return total, list(best.values())
        k = min(positive, k * 4)


def newest_articles(
    arrays: SectionArrays, m: Matches, need: int, article_ok: np.ndarray | None = None
) -> tuple[int, list[tuple[int, int, float]]]:
    """How many articles match, and the newest ``need`` of them (undated last, then by best
    score) as (article, best section, score)."""
    matching = m.hits > 0
    if article_ok is not None:
        matching &= article_ok
    articles = np.flatnonzero(matching)
    best_score = np.zeros(len(arrays.article_ids), dtype=np.float32)
    np.maximum.at(best_score, arrays.article_of, m.scores)
    order = np.lexsort((articles, -best_score[articles], -arrays.article_recency[articles]))
    top = []
    for article in articles[order][:need]:
        docs = arrays.sections_of(int(article))
        doc = int(docs[np.argmax(m.scores[docs])])
        top.append((int(article), doc, float(m.scores[doc])))
    return int(articles.size), top


def article_sections(arrays: SectionArrays, m: Matches, article: int) -> list[tuple[int, float]]:
    """An article's matching sections, best first."""
    docs = arrays.sections_of(article)
    scores = m.scores[docs]
    order = np.argsort(-scores, kind="stable")
    return [(int(docs[i]), float(scores[i])) for i in order if scores[i] > 0]


def _others(sections: list[tuple[int, float]], best: int) -> list[tuple[int, float]]:
    return [s for s in sections if s[0] != best]


# --- one thread's ranker ---------------------------------------------------------------------


@dataclass
class BuiltQuery:
    weights: dict[str, float]  # index term -> query weight (how often it was typed)
    exact: dict[str, float]  # the typed words unstemmed -> query weight
    required: list[wq.Query]  # phrases every result must contain
    excluded: list[wq.Query]  # words and phrases no result may contain
    topics: list[str]  # topic slugs to keep (empty: all)
    excluded_topics: list[str]


class Ranker:
    """One thread's view of a generation: its own Whoosh searcher over the shared arrays."""

    def __init__(self, arrays: SectionArrays, searcher: Searcher) -> None:
        self.arrays = arrays
        self.searcher = searcher
        self.reader = searcher.reader()

    def close(self) -> None:
        self.searcher.close()

    # building -------------------------------------------------------------------------------

    def build(self, parsed: ParsedQuery) -> BuiltQuery:
        """Weigh the query's terms and collect its required and excluded parts.

        A word typed twice counts more (saturating, as BM25's k3); words of a required phrase
        also rank; a prefix spreads one word's weight over its expansions. Words are also
        looked up unstemmed, so their exact form ranks a little higher.
        """
        weights: Counter[str] = Counter()
        typed: Counter[str] = Counter()
        for word in parsed.words + parsed.phrases:
            weights.update(terms(word))
            typed.update(typed_words(word))
        for prefix in parsed.prefixes:
            expanded = self.expand_prefix(prefix)
            for t in expanded:
                weights[t] += 1.0 / len(expanded)
        return BuiltQuery(
            weights=self._saturate(weights),
            exact=self._saturate(typed),
            required=[q for q in map(_phrase_query, parsed.phrases) if q is not None],
            excluded=[q for q in map(_phrase_query, parsed.excluded) if q is not None],
            topics=self._topics_named(parsed.topics),
            excluded_topics=self._topics_named(parsed.excluded_topics),
        )

    def _saturate(self, counts: Counter[str]) -> dict[str, float]:
        saturate = self.arrays.params.saturate
        return {t: saturate(q) for t, q in counts.most_common(MAX_TERMS)}

    def _topics_named(self, slugs: list[str]) -> list[str]:
        """The index's topics a filter names: the same slug, else those it begins
        (``topic:sante`` finds "sante-publique"), else the slug as given (matches nothing)."""
        found: list[str] = []
        for slug in slugs:
            if slug in self.arrays.topics:
                found.append(slug)
                continue
            starting = [t for t in self.arrays.topics if t.startswith(slug + "-")]
            found.extend(starting or [slug])
        return found

    def expand_prefix(self, prefix: str) -> list[str]:
        """The most common index terms starting with ``prefix`` (or with its stem, so that
        ``running*`` finds "run"), a few dozen at most."""
        typed = fold(prefix)
        candidates = set()
        for start in {typed, *terms(typed)}:
            for i, term in enumerate(self.reader.expand_prefix(BODY, start)):
                if i >= PREFIX_SCAN:
                    break
                candidates.add(term.decode("utf-8") if isinstance(term, bytes) else term)
        frequency = {t: self.arrays.live_frequency(self.reader, t) for t in candidates}
        ranked = sorted((t for t in candidates if frequency[t]), key=lambda t: -frequency[t])
        return ranked[:PREFIX_EXPANSIONS]

    # ranking --------------------------------------------------------------------------------

    def rank(
        self, built: BuiltQuery, need: int, facets: bool = True, newest: bool = False
    ) -> Ranking:
        """The best ``need`` articles for ``built`` (or, ``newest``, the newest of those that
        match), how many match, and their topics."""
        arrays = self.arrays
        matches = self.match(built)
        topics_ok = self._topic_mask(built)
        article_ok = None if topics_ok is None else topics_ok[arrays.article_topic]
        if newest:
            total, top = newest_articles(arrays, matches, need, article_ok)
        else:
            total, top = top_articles(arrays, matches, need, article_ok)
        hits = [
            Hit(article, doc, best, _others(article_sections(arrays, matches, article), doc))
            for article, doc, best in top
        ]
        return Ranking(total, hits, topic_counts(arrays, matches) if facets else [])

    def browse(self, built: BuiltQuery, need: int, facets: bool = True) -> Ranking:
        """The articles ``built``'s topic filters allow, newest first, with no query words;
        each shown by its first section."""
        arrays = self.arrays
        first = np.full(len(arrays.article_ids), -1, dtype=np.int64)
        docs = np.flatnonzero(arrays.live)[::-1]  # the last write wins: the first section
        first[arrays.article_of[docs]] = docs
        ok = first >= 0
        topics_ok = self._topic_mask(built)
        if topics_ok is not None:
            ok &= topics_ok[arrays.article_topic]
        articles = np.flatnonzero(ok)
        order = articles[np.lexsort((articles, -arrays.article_recency[articles]))][:need]
        hits = [Hit(int(a), int(first[a]), 0.0, []) for a in order]
        counts = []
        if facets:
            listed = np.bincount(arrays.article_topic[first >= 0], minlength=len(arrays.topics))
            counts = sorted(
                ((arrays.topics[i], int(c)) for i, c in enumerate(listed) if c),
                key=lambda p: (-p[1], p[0]),
            )
        return Ranking(int(articles.size), hits, counts)

    def match(self, built: BuiltQuery) -> Matches:
        """Every section's score for ``built``, 0 where its phrases or exclusions rule it out."""
        scores = score(self.arrays, self.reader, built.weights, built.exact)
        if self.arrays.recency_factor is not None:
            scores *= self.arrays.recency_factor
        return match(self.arrays, scores, self._allowed(built))

    def _allowed(self, built: BuiltQuery) -> np.ndarray:
        allowed = self.arrays.live
        if built.required:
            allowed = allowed & self._doc_mask(built.required)
        if built.excluded:
            allowed = allowed & ~self._doc_mask([wq.Or(built.excluded)])
        return allowed

    def _doc_mask(self, queries: list[wq.Query]) -> np.ndarray:
        """Sections matching every one of ``queries``."""
        size = self.arrays.size
        mask = np.ones(size, dtype=bool)
        for q in queries:
            hits = np.zeros(size, dtype=bool)
            hits[np.fromiter(self.searcher.docs_for_query(q), dtype=np.int64)] = True
            mask &= hits
        return mask

    def _topic_mask(self, built: BuiltQuery) -> np.ndarray | None:
        """Which topic ordinals pass the query's topic filters, or None for all."""
        if not built.topics and not built.excluded_topics:
            return None
        topics = self.arrays.topics
        keep = np.array([not built.topics or t in built.topics for t in topics], dtype=bool)
        drop = np.array([t in built.excluded_topics for t in topics], dtype=bool)
        return keep & ~drop

    # reading back ---------------------------------------------------------------------------

    def section(self, doc: int) -> StoredSection:
        f = self.searcher.stored_fields(doc)
        return StoredSection(
            f["article_id"],
            f["anchor"],
            f["url"],
            f.get("published"),
            f["topic"],
            f.get("topic_label") or f["topic"],
            f["title"],
            f["heading"],
            f["text"],
        )

    def sections_with(self, term: str, limit: int) -> list[StoredSection]:
        """A few live sections whose body contains ``term``."""
        vector = self.arrays.term(self.reader, BODY, term)
        live = vector.ids[self.arrays.live[vector.ids]] if vector.size else vector.ids
        return [self.section(int(doc)) for doc in live[:limit]]

    def live_frequency(self, term: str) -> int:
        return self.arrays.live_frequency(self.reader, term)

    def vocabulary(self) -> tuple[list[str], np.ndarray]:
        return self.arrays.vocabulary(self.reader)


_WORDS = re.compile(WORD_PATTERN)


def _phrase_query(text: str) -> wq.Query | None:
    """A Whoosh query for a quoted phrase (a term when one word is left after stop words)."""
    spans = term_spans(text)
    if not spans:
        return None
    if len(spans) == 1:
        return wq.Term(BODY, spans[0][2])
    # Stop words leave gaps in positions; allow as many as the phrase has.
    positions = [
        i for i, m in enumerate(_WORDS.finditer(text)) if fold(m.group()) not in STOP_WORDS
    ]
    slop = max(b - a for a, b in pairwise(positions))
    return wq.Phrase(BODY, [t for _, _, t in spans], slop=slop)

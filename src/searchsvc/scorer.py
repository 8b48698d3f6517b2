"""BM25 over cached posting arrays: the ranking engine behind ``search``.

Whoosh stores the index; scoring a long natural-language query with Whoosh's matcher tree
costs tens of milliseconds in pure Python. Here each generation is loaded once per process
into numpy arrays (field lengths, live documents, article and topic of every section), and
each term's posting list is read once and kept as a vector of BM25 contributions. A query is
then a handful of vectorised additions into one score array, which also yields exact totals
and facet counts for free. Everything here is read-only after loading and shared by the
threads of a process; posting lists are read with the calling thread's own Whoosh reader.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from .config import DEFAULTS
from .ranking import K1, B, lucene_idf

# Ranked fields and how much a match in each counts (body = title + heading + text).
FIELD_WEIGHTS: dict[str, float] = {"body": 1.0, "title": 0.3, "heading": 0.5}
# EXACT_FIELD holds body's words unstemmed: the word as typed counts a little more than
# another word of the same stem ("experiment" over "experience", both "experi").
EXACT_FIELD = "exact"
EXACT_WEIGHT = 0.2
ENTRY_BYTES = 8  # a cached posting is an int32 id and a float32 contribution
POSTINGS_CACHE_ENTRIES = int(DEFAULTS["POSTINGS_CACHE_MB"]) * 2**20 // ENTRY_BYTES


@dataclass(frozen=True)
class TermVector:
    """One term's documents and each one's BM25 contribution (idf included)."""

    ids: np.ndarray
    contrib: np.ndarray

    @property
    def size(self) -> int:
        return int(self.ids.size)


EMPTY = TermVector(np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32))


def _read_postings(reader, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
    """All (docnum, term frequency) of a term across the reader's segments."""
    ids_parts, tf_parts = [], []
    for sub, offset in reader.leaf_readers():
        try:
            m = sub.postings(field, term)
        except TermNotFound:  # one lookup instead of `in` and then `postings`
            continue
        ids, tfs = [], []
        if hasattr(m, "_read_ids") and hasattr(m, "_next_block"):
            # Whoosh's W3 codec: take whole blocks instead of stepping posting by posting.
            while m.is_active():
                m._read_ids()
                m._read_weights()
                ids.extend(m._ids)
                tfs.extend(m._weights)
                m._next_block()
        else:
            while m.is_active():
                ids.append(m.id())
                tfs.append(m.weight())
                m.next()
        ids_parts.append(np.asarray(ids, dtype=np.int32) + offset)
        tf_parts.append(np.asarray(tfs, dtype=np.float32))
    if not ids_parts:
        return EMPTY.ids, EMPTY.contrib
    return np.concatenate(ids_parts), np.concatenate(tf_parts)


class Generation:
    """A generation's arrays, loaded once per process and shared by its threads."""

    def __init__(self, reader) -> None:
        self.size = reader.doc_count_all()
        self.live = self._live_mask(reader)
        self.doc_count = int(self.live.sum())
        self.norms = {f: self._length_norm(reader, f) for f in [*FIELD_WEIGHTS, EXACT_FIELD]}
        self.article_of, self.article_ids = self._ordinals(reader, "article_id", np.int32)
        self.topic_of, self.topics = self._ordinals(reader, "topic", np.int16)
        self.article_topic = np.zeros(len(self.article_ids), dtype=np.int16)
        self.article_topic[self.article_of] = self.topic_of
        # Sections grouped by article (CSR): article a owns _by_article[_starts[a]:_starts[a+1]].
        self._by_article = np.argsort(self.article_of, kind="stable").astype(np.int32)
        self._starts = np.searchsorted(
            self.article_of[self._by_article], np.arange(len(self.article_ids) + 1)
        )
        self._cache: OrderedDict[tuple[str, str], TermVector] = OrderedDict()
        self._cached_entries = 0
        self._lock = threading.Lock()
        self._vocabulary: tuple[list[str], np.ndarray] | None = None

    def sections_of(self, article: int) -> np.ndarray:
        return self._by_article[self._starts[article] : self._starts[article + 1]]

    def _live_mask(self, reader) -> np.ndarray:
        live = np.ones(self.size, dtype=bool)
        if reader.has_deletions():
            live[:] = False
            live[np.fromiter(reader.all_doc_ids(), dtype=np.int64)] = True
        return live

    def _length_norm(self, reader, field: str) -> np.ndarray:
        """BM25's per-document ``k1 * (1 - b + b * len / avglen)``."""
        lengths = field_lengths(reader, field)
        avg = float(lengths[self.live].mean()) if self.doc_count else 1.0
        return (K1 * (1 - B + B * lengths / (avg or 1.0))).astype(np.float32)

    def _ordinals(self, reader, field: str, dtype) -> tuple[np.ndarray, list[str]]:
        column = reader.column_reader(field)
        names: dict[str, int] = {}
        out = np.fromiter(
            (names.setdefault(v, len(names)) for v in column), dtype=dtype, count=self.size
        )
        ordered = [""] * len(names)
        for name, i in names.items():
            ordered[i] = name.decode() if isinstance(name, bytes) else name
        return out, ordered

    def term(self, reader, field: str, term: str) -> TermVector:
        """The term's contribution vector, from cache or read now with ``reader``."""
        key = (field, term)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        ids, tf = _read_postings(reader, field, term)
        if ids.size == 0:
            vector = EMPTY
        else:
            idf = lucene_idf(self.doc_count, int(ids.size))
            contrib = idf * tf * (K1 + 1) / (tf + self.norms[field][ids])
            vector = TermVector(ids, contrib.astype(np.float32))
        self._remember(key, vector)
        return vector

    def _remember(self, key: tuple[str, str], vector: TermVector) -> None:
        with self._lock:
            if key in self._cache:
                return
            self._cache[key] = vector
            self._cached_entries += vector.size
            while self._cached_entries > POSTINGS_CACHE_ENTRIES and len(self._cache) > 1:
                _, old = self._cache.popitem(last=False)
                self._cached_entries -= old.size

    def doc_frequency(self, reader, term: str) -> int:
        return self.term(reader, "body", term).size

    def vocabulary(self, reader) -> tuple[list[str], np.ndarray]:
        """Index terms seen in at least two sections, with their section counts."""
        with self._lock:
            if self._vocabulary is None:
                # Segment by segment: a multi-segment reader would look each term up in
                # every segment, many times slower.
                counts: dict[str, int] = {}
                for sub, _ in reader.leaf_readers():
                    for word, info in sub.iter_field("body"):
                        word = word.decode() if isinstance(word, bytes) else word
                        counts[word] = counts.get(word, 0) + info.doc_frequency()
                words = sorted(w for w, n in counts.items() if n >= 2)
                self._vocabulary = (words, np.asarray([counts[w] for w in words], dtype=np.int64))
            return self._vocabulary


# Whoosh stores each document's field length as one byte on a log scale.
_BYTE_TO_LENGTH = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)


def field_lengths(reader, field: str) -> np.ndarray:
    """Every document's length in ``field`` (0 where it has none), in docnum order."""
    parts = [_segment_lengths(sub, field) for sub, _ in reader.leaf_readers()]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


def _segment_lengths(sub, field: str) -> np.ndarray:
    size = sub.doc_count_all()
    column = _length_column(sub, field)
    if column is None:  # another codec: ask document by document
        return np.fromiter(
            (sub.doc_field_length(d, field, 0) or 0 for d in range(size)),
            dtype=np.float32,
            count=size,
        )
    # The W3 codec keeps the bytes in one run (a missing tail means 0): read it at once
    # instead of ~5 µs of Python per document, which is seconds at a million sections.
    raw = np.zeros(size, dtype=np.uint8)
    stored = min(column._count, size)
    if stored:
        raw[:stored] = np.frombuffer(column._dbfile.get(column._basepos, stored), dtype=np.uint8)
    return _BYTE_TO_LENGTH[raw]


def _length_column(sub, field: str):
    """Whoosh 2.7's W3 one-byte length column of ``field`` in a segment, if that is its layout."""
    perdoc = getattr(sub, "_perdoc", None)
    if not hasattr(perdoc, "_cached_reader"):
        return None
    column = perdoc._cached_reader(f"_{field}_len", LENGTHS_COLUMN)
    layout = ("_dbfile", "_basepos", "_count", "_fixedlen")
    if column is None or not all(hasattr(column, a) for a in layout) or column._fixedlen != 1:
        return None
    return column


def set_postings_cache_mb(megabytes: int) -> None:
    """Budget the process's posting-list cache (shared by all its generations' threads)."""
    global POSTINGS_CACHE_ENTRIES
    POSTINGS_CACHE_ENTRIES = max(0, int(megabytes)) * 2**20 // ENTRY_BYTES


_generations: dict[str, Generation] = {}
_generations_lock = threading.Lock()


def generation_for(key: str, reader) -> Generation:
    """The process-wide arrays of generation ``key``; older generations are dropped."""
    gen = _generations.get(key)
    if gen is None:
        with _generations_lock:
            gen = _generations.get(key)
            if gen is None:
                gen = Generation(reader)
                _generations.clear()
                _generations[key] = gen
    return gen


def score(
    gen: Generation, reader, weights: dict[str, float], exact: dict[str, float] | None = None
) -> np.ndarray:
    """BM25F-style scores of every section for stemmed ``weights`` and unstemmed ``exact``
    words, each mapped to its query weight."""
    scores = np.zeros(gen.size, dtype=np.float32)
    fields = [(f, weights, w) for f, w in FIELD_WEIGHTS.items()]
    fields.append((EXACT_FIELD, exact or {}, EXACT_WEIGHT))
    for field, query_terms, field_weight in fields:
        for term, weight in query_terms.items():
            vector = gen.term(reader, field, term)
            if vector.size:
                scores[vector.ids] += (weight * field_weight) * vector.contrib
    return scores


@dataclass
class Matches:
    """Section scores of one query, restricted to what it allows, and per-article counts."""

    scores: np.ndarray  # per section; 0 where it does not match or is not allowed
    hits: np.ndarray  # per article: how many of its sections match


def match(gen: Generation, scores: np.ndarray, allowed: np.ndarray) -> Matches:
    scores = np.where(allowed, scores, 0).astype(np.float32, copy=False)
    hits = np.bincount(gen.article_of[scores > 0], minlength=len(gen.article_ids))
    return Matches(scores, hits)


def topic_counts(gen: Generation, m: Matches) -> list[tuple[str, int]]:
    """Matching articles per topic, most first."""
    counts = np.bincount(gen.article_topic[m.hits > 0], minlength=len(gen.topics))
    pairs = [(gen.topics[i], int(c)) for i, c in enumerate(counts) if c]
    return sorted(pairs, key=lambda p: (-p[1], p[0]))


def top_articles(
    gen: Generation, m: Matches, need: int, article_ok: np.ndarray | None = None
) -> tuple[int, list[tuple[int, int, float]]]:
    """How many articles match, and the best ``need`` as (article, best section, score).

    An article ranks by its best section. Only the top sections are sorted: if the best
    ``k`` sections cover ``need`` articles, those are exactly the top articles, because an
    article missing from them has no section scoring higher than any of them.
    """
    scores = m.scores
    if article_ok is not None:
        scores = np.where(article_ok[gen.article_of], scores, 0)
        total = int(np.count_nonzero(article_ok & (m.hits > 0)))
    else:
        total = int(np.count_nonzero(m.hits))
    positive = int(np.count_nonzero(scores))
    k = min(positive, max(need * 4, 16))
    while True:
        top = np.argpartition(-scores, k - 1)[:k] if 0 < k < scores.size else np.flatnonzero(scores)
        top = top[np.lexsort((top, -scores[top]))]  # best first, ties by docnum
        best: dict[int, tuple[int, int, float]] = {}
        for doc in top:
            article = int(gen.article_of[doc])
            if article not in best:
                best[article] = (article, int(doc), float(scores[doc]))
                if len(best) == need:
                    break
        if len(best) >= need or k >= positive:
            return total, list(best.values())
        k = min(positive, k * 4)


def article_sections(gen: Generation, m: Matches, article: int) -> list[tuple[int, float]]:
    """An article's matching sections, best first."""
    docs = gen.sections_of(article)
    scores = m.scores[docs]
    order = np.argsort(-scores, kind="stable")
    return [(int(docs[i]), float(scores[i])) for i in order if scores[i] > 0]

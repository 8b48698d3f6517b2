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

from .ranking import K1, B, lucene_idf

# Ranked fields and how much a match in each counts (body = title + heading + text).
FIELD_WEIGHTS: dict[str, float] = {"body": 1.0, "title": 0.25, "heading": 0.5}
POSTINGS_CACHE_ENTRIES = 30_000_000  # ~240 MB of int32 ids + float32 contributions


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
        if (field, term) not in sub:
            continue
        m = sub.postings(field, term)
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
        self.norms = {f: self._length_norm(reader, f) for f in FIELD_WEIGHTS}
        self.article_of, self.article_ids = self._ordinals(reader, "article_id", np.int32)
        self.topic_of, self.topics = self._ordinals(reader, "topic", np.int16)
        self.article_topic = np.zeros(len(self.article_ids), dtype=np.int16)
        self.article_topic[self.article_of] = self.topic_of
        self._cache: OrderedDict[tuple[str, str], TermVector] = OrderedDict()
        self._cached_entries = 0
        self._lock = threading.Lock()
        self._vocabulary: tuple[list[str], np.ndarray] | None = None

    def _live_mask(self, reader) -> np.ndarray:
        live = np.ones(self.size, dtype=bool)
        if reader.has_deletions():
            live[:] = False
            live[np.fromiter(reader.all_doc_ids(), dtype=np.int64)] = True
        return live

    def _length_norm(self, reader, field: str) -> np.ndarray:
        """BM25's per-document ``k1 * (1 - b + b * len / avglen)``."""
        lengths = np.fromiter(
            (reader.doc_field_length(d, field, 0) or 0 for d in range(self.size)),
            dtype=np.float32,
            count=self.size,
        )
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
                words, counts = [], []
                for word, info in reader.iter_field("body"):
                    df = info.doc_frequency()
                    if df >= 2:
                        words.append(word.decode() if isinstance(word, bytes) else word)
                        counts.append(df)
                self._vocabulary = (words, np.asarray(counts, dtype=np.int64))
            return self._vocabulary


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


def score(gen: Generation, reader, weights: dict[str, float]) -> np.ndarray:
    """BM25F-style scores of every section for terms weighted by ``weights``."""
    scores = np.zeros(gen.size, dtype=np.float32)
    for term, weight in weights.items():
        for field, field_weight in FIELD_WEIGHTS.items():
            vector = gen.term(reader, field, term)
            if vector.size:
                scores[vector.ids] += (weight * field_weight) * vector.contrib
    return scores


@dataclass
class Ranked:
    """Matching articles, best first: each one's best section and score."""

    article: np.ndarray  # article ordinals
    best_doc: np.ndarray  # docnum of each article's best section
    best_score: np.ndarray
    docs: np.ndarray  # all matching sections ...
    doc_scores: np.ndarray  # ... and their scores, for "more sections"


def rank_articles(gen: Generation, scores: np.ndarray, allowed: np.ndarray) -> Ranked:
    """Collapse section scores to articles (best section wins); only ``allowed`` sections."""
    docs = np.flatnonzero((scores > 0) & allowed)
    doc_scores = scores[docs]
    arts = gen.article_of[docs]
    order = np.lexsort((-doc_scores, arts))  # by article, best section first
    first = order[np.r_[True, arts[order][1:] != arts[order][:-1]]] if docs.size else order
    by_score = first[np.argsort(-doc_scores[first], kind="stable")]
    return Ranked(arts[by_score], docs[by_score], doc_scores[by_score], docs, doc_scores)


def topic_counts(gen: Generation, articles: np.ndarray) -> list[tuple[str, int]]:
    counts = np.bincount(gen.article_topic[articles], minlength=len(gen.topics))
    pairs = [(gen.topics[i], int(c)) for i, c in enumerate(counts) if c]
    return sorted(pairs, key=lambda p: (-p[1], p[0]))

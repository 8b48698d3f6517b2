"""Every use of Whoosh 2.7.4's internals, in one place, each with a public fallback.

Whoosh's public API is correct but slow where searchsvc is hot: stepping through postings one
by one, asking each document's field length, and analysing text in the single writer process.
The fast paths here read what Whoosh's W3 codec keeps on disk directly (block postings, the
one-byte length columns) and hand the writer postings already encoded the way its formats
encode them. Each checks the layout it relies on and otherwise takes the public road, and
``tests/test_whoosh_contract.py`` holds every fast path equal to the public API on a real
index, so upgrading Whoosh can only make things slower, never wrong.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec
from whoosh.fields import TEXT
from whoosh.formats import Positions
from whoosh.reading import IndexReader, TermNotFound
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length

EMPTY_IDS = np.empty(0, dtype=np.int32)
EMPTY_WEIGHTS = np.empty(0, dtype=np.float32)


# --- reading postings ------------------------------------------------------------------------


def read_postings(reader: IndexReader, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
    """All (docnum, term frequency) of ``term`` across the reader's segments, docnum order."""
    ids_parts, tf_parts = [], []
    for sub, offset in reader.leaf_readers():
        try:
            m = sub.postings(field, term)
        except TermNotFound:  # one lookup instead of `in` and then `postings`
            continue
        ids, tfs = _block_postings(m) if _has_blocks(m) else public_postings(m)
        ids_parts.append(np.asarray(ids, dtype=np.int32) + offset)
        tf_parts.append(np.asarray(tfs, dtype=np.float32))
    if not ids_parts:
        return EMPTY_IDS, EMPTY_WEIGHTS
    return np.concatenate(ids_parts), np.concatenate(tf_parts)


def _has_blocks(matcher) -> bool:
    return all(hasattr(matcher, a) for a in ("_read_ids", "_read_weights", "_next_block"))


def _block_postings(m) -> tuple[list[int], list[float]]:
    """W3 codec: whole blocks at a time instead of stepping posting by posting."""
    ids: list[int] = []
    tfs: list[float] = []
    while m.is_active():
        m._read_ids()
        m._read_weights()
        ids.extend(m._ids)
        tfs.extend(m._weights)
        m._next_block()
    return ids, tfs


def public_postings(m) -> tuple[list[int], list[float]]:
    """The same through the public matcher API (any codec)."""
    ids: list[int] = []
    tfs: list[float] = []
    while m.is_active():
        ids.append(m.id())
        tfs.append(m.weight())
        m.next()
    return ids, tfs


# --- field lengths ---------------------------------------------------------------------------

# Whoosh stores each document's field length as one byte on a log scale.
_BYTE_TO_LENGTH = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)


def field_lengths(reader: IndexReader, field: str) -> np.ndarray:
    """Every document's length in ``field`` (0 where it has none), in docnum order."""
    parts = [segment_lengths(sub, field) for sub, _ in reader.leaf_readers()]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


def segment_lengths(sub: IndexReader, field: str) -> np.ndarray:
    column = _length_column(sub, field)
    if column is None:
        return public_lengths(sub, field)
    # The W3 codec keeps the bytes in one run (a missing tail means 0): read it at once
    # instead of ~5 µs of Python per document, which is seconds at a million sections.
    size = sub.doc_count_all()
    raw = np.zeros(size, dtype=np.uint8)
    stored = min(column._count, size)
    if stored:
        raw[:stored] = np.frombuffer(column._dbfile.get(column._basepos, stored), dtype=np.uint8)
    return _BYTE_TO_LENGTH[raw]


def public_lengths(sub: IndexReader, field: str) -> np.ndarray:
    """Document by document through the public reader API (any codec)."""
    size = sub.doc_count_all()
    return np.fromiter(
        (sub.doc_field_length(d, field, 0) or 0 for d in range(size)),
        dtype=np.float32,
        count=size,
    )


def _length_column(sub: IndexReader, field: str):
    """Whoosh 2.7's W3 one-byte length column of ``field`` in a segment, if that is its layout."""
    perdoc = getattr(sub, "_perdoc", None)
    if not hasattr(perdoc, "_cached_reader"):
        return None
    column = perdoc._cached_reader(f"_{field}_len", LENGTHS_COLUMN)
    layout = ("_dbfile", "_basepos", "_count", "_fixedlen")
    if column is None or not all(hasattr(column, a) for a in layout) or column._fixedlen != 1:
        return None
    return column


# --- writing prepared postings ---------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """A field's postings, analysed ahead of time: (term bytes, freq, weight, value bytes),
    exactly what Whoosh's ``FieldType.index`` yields."""

    items: list[tuple[bytes, int, float, bytes]]


class PreparedText(TEXT):
    """A TEXT field that also takes ``Prepared`` postings.

    Analysis costs as much as HTML parsing; doing it in the parse workers lets both cores
    share it, leaving the single Whoosh writer only the writing.
    """

    def index(self, value, **kwargs):
        if isinstance(value, Prepared):
            return value.items
        return super().index(value, **kwargs)


_POSITIONS = Positions()


def positions_postings(found: dict[str, list[int]]) -> Prepared:
    """Postings of a positional field, encoded as Whoosh's Positions format writes them."""
    encode = _POSITIONS.encode
    return Prepared([(t.encode(), len(p), float(len(p)), encode(p)) for t, p in found.items()])


def frequency_postings(counts: Iterable[tuple[str, int]]) -> Prepared:
    """Postings of a frequency-only field, encoded as Whoosh's Frequency format writes them."""
    return Prepared([(t.encode(), n, float(n), pack_uint(n)) for t, n in counts])


class SearchCodec(W3Codec):
    """Whoosh's W3 codec without per-block length statistics.

    Whoosh looks up every posting's field length while writing, to store each block's
    shortest and longest document for its own scorer's skipping; ranking here never uses
    them (see ``scorer``), and the lookups are a fifth of the writer's time.
    """

    length_stats = False

"""Peer search engines for the relevance benchmark, each behind the same two-method interface.

    engine.index(docs)              # docs: iterable of (doc_id, title, text)
    engine.search(query, k=100)     # -> list of doc ids, best first

Peers (benchmark-only dependencies: ``pip install -e '.[bench]'`` for bm25s and tantivy):

- ``BM25sPeer``  bm25s, title + text in one bag of words, bm25s's own tokenizer
  (``\\b\\w\\w+\\b``, lower-case), its English stop list, PyStemmer English (Snowball),
  defaults ``method="lucene"``, k1=1.5, b=0.75.
- ``FTS5Peer``   SQLite FTS5, ``tokenize='porter unicode61'``, columns title and text; the query
  is the OR of its tokens, each written as a quoted string; ranked by ``bm25(fts)``
  (k1=1.2, b=0.75, all columns weight 1).
- ``TantivyPeer`` tantivy-py, fields title and text with the ``en_stem`` tokenizer
  (lower-case + English Snowball, no stop list); the query is the tokens joined with " OR ",
  parsed over both fields (BM25 k1=1.2, b=0.75, per field, summed).
- ``WhooshPeer`` plain Whoosh 2.7.4: ``StemmingAnalyzer`` TEXT fields title and text,
  ``MultifieldParser(["title", "text"], schema, group=OrGroup)``, BM25F defaults (k1=1.2,
  b=0.75), ``searcher.search(q, limit=100)``. Characters the parser would read as syntax
  (quotes, parentheses, ``:``, ``*``, ``~``, ``^``, ``+``, ``-``...) are replaced by spaces and
  the query is lower-cased (so ``AND``/``OR``/``NOT``/``TO`` stay plain words); otherwise some
  natural-language queries would fail to parse or mean something else.

Every peer keeps its index in memory or a temporary folder; call ``close()`` when done.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable

Docs = Iterable[tuple[str, str, str]]

_WORD = re.compile(r"\w+")


def query_tokens(query: str) -> list[str]:
    """Lower-cased ``\\w+`` runs: the plain words of a query, free of any engine's syntax."""
    return _WORD.findall(query.lower())


class Peer:
    name = "peer"

    def index(self, docs: Docs) -> None:
        raise NotImplementedError

    def search(self, query: str, k: int = 100) -> list[str]:
        raise NotImplementedError

    def close(self) -> None:
        """Release resources (temporary folders, connections)."""


class BM25sPeer(Peer):
    name = "bm25s"

    def __init__(self) -> None:
        import bm25s
        import Stemmer

        self._bm25s = bm25s
        self._stemmer = Stemmer.Stemmer("english")
        self._ids: list[str] = []
        self._retriever = None

    def _tokenize(self, texts: list[str]):
        return self._bm25s.tokenize(
            texts,
            stopwords="en",
            stemmer=self._stemmer,
            return_ids=False,
            show_progress=False,
        )

    def index(self, docs: Docs) -> None:
        docs = list(docs)
        self._ids = [d[0] for d in docs]
        corpus = self._tokenize([f"{title} {text}" for _, title, text in docs])
        self._retriever = self._bm25s.BM25()  # method="lucene", k1=1.5, b=0.75
        self._retriever.index(corpus, show_progress=False)

    def search(self, query: str, k: int = 100) -> list[str]:
        tokens = self._tokenize([query])[0]
        vocab = self._retriever.vocab_dict
        tokens = [t for t in tokens if t in vocab]  # bm25s raises on out-of-vocabulary queries
        if not tokens:
            return []
        k = min(k, len(self._ids))
        results, scores = self._retriever.retrieve([tokens], k=k, show_progress=False, n_threads=1)
        return [self._ids[int(i)] for i, s in zip(results[0], scores[0], strict=True) if s > 0]


class FTS5Peer(Peer):
    name = "sqlite-fts5"

    def __init__(self) -> None:
        self._db = sqlite3.connect(":memory:")
        self._db.execute(
            "CREATE VIRTUAL TABLE fts USING fts5("
            "doc_id UNINDEXED, title, text, tokenize='porter unicode61')"
        )

    def index(self, docs: Docs) -> None:
        with self._db:
            self._db.executemany("INSERT INTO fts (doc_id, title, text) VALUES (?, ?, ?)", docs)

    def search(self, query: str, k: int = 100) -> list[str]:
        terms = ['"' + t.replace('"', '""') + '"' for t in query_tokens(query)]
        if not terms:
            return []
        rows = self._db.execute(
            "SELECT doc_id FROM fts WHERE fts MATCH ? ORDER BY bm25(fts) LIMIT ?",
            (" OR ".join(terms), k),
        )
        return [r[0] for r in rows]

    def close(self) -> None:
        self._db.close()


class TantivyPeer(Peer):
    name = "tantivy"

    def __init__(self) -> None:
        import tantivy

        self._tantivy = tantivy
        sb = tantivy.SchemaBuilder()
        sb.add_text_field("doc_id", stored=True, tokenizer_name="raw")
        sb.add_text_field("title", tokenizer_name="en_stem")
        sb.add_text_field("text", tokenizer_name="en_stem")
        self._index = tantivy.Index(sb.build())  # in memory
        self._searcher = None

    def index(self, docs: Docs) -> None:
        writer = self._index.writer(heap_size=256_000_000, num_threads=1)
        for doc_id, title, text in docs:
            writer.add_document(self._tantivy.Document(doc_id=doc_id, title=title, text=text))
        writer.commit()
        writer.wait_merging_threads()
        self._index.reload()
        self._searcher = self._index.searcher()

    def search(self, query: str, k: int = 100) -> list[str]:
        # \w+ tokens can carry no query syntax; lower-casing keeps AND/OR/NOT as plain words.
        tokens = query_tokens(query)
        if not tokens:
            return []
        q = self._index.parse_query(" OR ".join(tokens), ["title", "text"])
        hits = self._searcher.search(q, k).hits
        return [self._searcher.doc(addr)["doc_id"][0] for _score, addr in hits]


_WHOOSH_SYNTAX = re.compile(r"[^\w\s]+")


class WhooshPeer(Peer):
    name = "whoosh"

    def __init__(self) -> None:
        from whoosh import fields
        from whoosh.analysis import StemmingAnalyzer

        self._dir = tempfile.mkdtemp(prefix="peer-whoosh-")
        self._schema = fields.Schema(
            doc_id=fields.ID(stored=True, unique=True),
            title=fields.TEXT(analyzer=StemmingAnalyzer()),
            text=fields.TEXT(analyzer=StemmingAnalyzer()),
        )
        self._ix = None
        self._searcher = None
        self._parser = None

    def index(self, docs: Docs) -> None:
        from whoosh import index
        from whoosh.qparser import MultifieldParser, OrGroup

        self._ix = index.create_in(self._dir, self._schema)
        writer = self._ix.writer(limitmb=256, procs=1)
        for doc_id, title, text in docs:
            writer.add_document(doc_id=doc_id, title=title, text=text)
        writer.commit()
        self._searcher = self._ix.searcher()  # BM25F(B=0.75, K1=1.2)
        self._parser = MultifieldParser(["title", "text"], self._schema, group=OrGroup)

    def search(self, query: str, k: int = 100) -> list[str]:
        cleaned = _WHOOSH_SYNTAX.sub(" ", query).lower()
        q = self._parser.parse(cleaned)
        return [hit["doc_id"] for hit in self._searcher.search(q, limit=k)]

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
        shutil.rmtree(self._dir, ignore_errors=True)


PEERS: dict[str, type[Peer]] = {p.name: p for p in (BM25sPeer, FTS5Peer, TantivyPeer, WhooshPeer)}

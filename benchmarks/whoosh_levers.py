"""Why does Whoosh BM25F trail bm25s? Test one ranking lever at a time, with Whoosh 2.7.4 itself.

    python benchmarks/whoosh_levers.py [--data DIR] [--sets scifact,med,cran,cisi,scifact-train]
                                       [--tables levers,path,around,best] [--json FILE]

Every variant is a real Whoosh index searched by ``Searcher.search(q, limit=100)``; what changes is
(a) the analyzer chain and field layout at index time, (b) a ``WeightingModel`` subclass
(``LeverBM25``: idf formula, k1, b, optionally exact instead of byte-quantised field lengths)
and (c) the query, built directly from ``whoosh.query.Or``/``Term``/``Phrase`` objects with
per-term ``boost`` instead of the query parser. Indexes are cached per (set, analyzer, layout)
in a temporary folder; one writer per index, ``limitmb=256``, ``procs=1`` (one segment, so
document numbers follow insertion order).

The ``levers`` table starts from the team's baseline (one combined title+text field, Whoosh's
tokenizer and 33-word stop list, PyStemmer English Snowball, Whoosh idf, k1=1.2, b=0.75,
parser-style query with duplicate terms collapsed) and changes one thing per row; ``path`` adds
the winning levers cumulatively (and reproduces bm25s inside Whoosh); ``around`` changes one thing
from the recommended configuration (``BEST_IX``/``BEST_SC``); ``best`` prints its full metrics
with 95% paired bootstrap intervals. Results are copied into docs/relevance.md by hand.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import Stemmer
from whoosh import fields, index, scoring
from whoosh.analysis import (
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.analysis.filters import STOP_WORDS as WHOOSH_STOP
from whoosh.lang.stopwords import stoplists as WHOOSH_LANG_STOP
from whoosh.query import Or, Phrase, Term
from whoosh.support.charset import accent_map

from searchsvc.evaluate import load_dataset, run_eval

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data"
# name -> (folder, split). scifact-train (809 claims, BEIR train qrels) is for checking that a
# lever's effect on the 150 DEV claims is not noise; it is not one of the four target sets.
SETS = {
    "scifact": ("beir-scifact", "test"),
    "med": ("glasgow-med", "test"),
    "cran": ("glasgow-cran", "test"),
    "cisi": ("glasgow-cisi", "test"),
    "scifact-train": ("beir-scifact", "train"),
}
TARGET_SETS = ["scifact", "med", "cran", "cisi"]

# ---------------------------------------------------------------------------------------------
# Stop lists. "whoosh": whoosh.analysis.STOP_WORDS (33 words, StemmingAnalyzer's default).
# "lucene": Lucene's EnglishAnalyzer list = bm25s "en" (33). "snowball": whoosh.lang "en" (127,
# the Snowball English list). "nltk": NLTK English = bm25s "en_plus" (179).


def _bm25s_stop(name: str) -> frozenset[str]:
    import bm25s.stopwords as s

    return frozenset({"lucene": s.STOPWORDS_EN, "nltk": s.STOPWORDS_EN_PLUS}[name])


def stoplist(name: str) -> frozenset[str]:
    if name == "none":
        return frozenset()
    if name == "whoosh":
        return frozenset(WHOOSH_STOP)
    if name == "snowball":
        return frozenset(WHOOSH_LANG_STOP["en"])
    return _bm25s_stop(name)


TOKEN_PATTERNS = {
    "whoosh": r"\w+(\.?\w+)*",  # Whoosh default_pattern: keeps "e.g", "3.5", "u.s" whole
    "word": r"\w+",  # plain runs of word characters, like bm25s/FTS5/tantivy
    # Whoosh's pattern, also keeping hyphenated words ("pre-school") whole for HyphenFilter
    "hyphen": r"\w+(?:\.?\w+)*(?:-\w+(?:\.?\w+)*)*",
}


class HyphenFilter(Filter):
    """Split "pre-school" into "pre", "school" and add "preschool" (both spellings match)."""

    def __call__(self, tokens):
        for t in tokens:
            if "-" not in t.text:
                yield t
                continue
            parts = [p for p in t.text.split("-") if p]
            for p in parts:
                t.text = p
                yield t
            t.text = "".join(parts)
            yield t


class PyStemmerFilter(Filter):
    """Stem with PyStemmer (C Snowball): "english" = Porter2/Snowball, "porter" = original."""

    def __init__(self, algorithm: str = "english") -> None:
        self.algorithm = algorithm
        self._stem = Stemmer.Stemmer(algorithm).stemWord

    def __getstate__(self):
        return {"algorithm": self.algorithm}

    def __setstate__(self, state):
        self.__init__(state["algorithm"])

    def __call__(self, tokens):
        stem = self._stem
        for t in tokens:
            if not t.stopped:
                t.text = stem(t.text)
            yield t


@dataclass(frozen=True)
class IndexConfig:
    tokens: str = "whoosh"  # key of TOKEN_PATTERNS ("hyphen" adds HyphenFilter)
    stop: str = "whoosh"  # whoosh | lucene | snowball | nltk | none
    stem: str = "snowball"  # snowball (PyStemmer english) | porter (PyStemmer) | whoosh | none
    fold: bool = False  # accent folding (CharsetFilter(accent_map)) before stemming
    layout: str = "combined"  # combined: body=title+text | separate: title, text | both
    # both = body (title + text) plus a title field (for a title boost on top of body)
    vectors: bool = False  # store term vectors on body (needed by pseudo-relevance feedback)
    minsize: int = 2  # shortest token kept (Whoosh's StopFilter default is 2)


@dataclass(frozen=True)
class ScoreConfig:
    idf: str = "whoosh"  # whoosh: log(N/(df+1))+1 | lucene: log(1+(N-df+.5)/(df+.5))
    k1: float = 1.2
    b: float = 0.75
    exact_lengths: bool = False  # score with exact field lengths instead of Whoosh's byte codes
    delta: float = 0.0  # BM25+ lower bound: each matching term adds delta x idf
    qtf: str = "dedup"  # dedup (parser/Or behaviour) | count | sqrt | k3=<float>
    title_boost: float = 1.0  # layouts with a title field: boost on title terms
    title_b: float | None = None  # b for the title field (None: same as b)
    title_idf_from_body: bool = False  # "both" layout: title terms use body's df (as BM25F)
    surface_boost: float = 0.0  # "both+surface" layout: boost of unstemmed body matches
    model: str = "bm25"  # bm25 (LeverBM25) | pl2 (whoosh.scoring.PL2(c=1.0), for comparison)
    phrase: float = 0.0  # boost of an ordered Phrase query for each adjacent query-term pair
    slop: int = 1  # Phrase slop (1 = adjacent after stop-word removal)
    # Pseudo-relevance feedback with Whoosh's own Searcher.key_terms (Bo1 model, normalised):
    # search once, take the top prf_docs, add prf_terms expansion terms on body with boost
    # prf_weight * key-term weight / best key-term weight (added to the original term's boost
    # if already present).
    prf_docs: int = 0
    prf_terms: int = 10
    prf_weight: float = 0.5


BASELINE_IX = IndexConfig()
BASELINE_SC = ScoreConfig()


def make_analyzer(cfg: IndexConfig):
    chain = RegexTokenizer(TOKEN_PATTERNS[cfg.tokens]) | LowercaseFilter()
    if cfg.tokens == "hyphen":
        chain = chain | HyphenFilter()
    if cfg.fold:
        chain = chain | CharsetFilter(accent_map)
    chain = chain | StopFilter(stoplist=stoplist(cfg.stop), minsize=cfg.minsize)
    if cfg.stem == "whoosh":
        chain = chain | StemFilter()  # whoosh.lang.porter, as StemmingAnalyzer
    elif cfg.stem in ("snowball", "porter"):
        chain = chain | PyStemmerFilter("english" if cfg.stem == "snowball" else "porter")
    return chain


# ---------------------------------------------------------------------------------------------
# Weighting


def idf_value(kind: str, n: int, df: int) -> float:
    if kind == "whoosh":
        return math.log(n / (df + 1)) + 1
    if kind == "lucene":
        return math.log(1 + (n - df + 0.5) / (df + 0.5))
    raise ValueError(kind)


class LeverScorer(scoring.BaseScorer):
    """BM25 for one term in one field; lengths from Whoosh (quantised) or an exact array."""

    def __init__(self, searcher, fieldname, text, k1, b, exact, delta=0.0):
        parent = searcher.get_parent()
        self.idf = parent.idf(fieldname, text)
        self.avgfl = parent.avg_field_length(fieldname) or 1
        self.k1, self.b, self.delta = k1, b, delta
        self.exact = exact
        if exact is None:
            self.dfl = lambda docnum: searcher.doc_field_length(docnum, fieldname, 1)
        else:
            self.dfl = exact.__getitem__
        ti = searcher.term_info(fieldname, text)
        self._maxq = self._score(ti.max_weight(), ti.min_length())

    def _score(self, tf, length):
        k1, b = self.k1, self.b
        norm = tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / self.avgfl))
        return self.idf * (norm + self.delta)

    def supports_block_quality(self):
        # Block maxima use Whoosh's quantised lengths, which are only an upper bound for the
        # quantised scorer; with exact lengths, skip the optimisation to stay exact.
        return self.exact is None

    def score(self, matcher):
        return self._score(matcher.weight(), self.dfl(matcher.id()))

    def max_quality(self):
        return self._maxq

    def block_quality(self, matcher):
        return self._score(matcher.block_max_weight(), matcher.block_min_length())


class LeverBM25(scoring.WeightingModel):
    def __init__(self, sc: ScoreConfig, exact_lengths: dict[str, list[int]] | None = None):
        self.sc = sc
        self.exact_lengths = exact_lengths or {}

    def supports_block_quality(self):
        return not self.sc.exact_lengths

    def idf(self, searcher, fieldname, text):
        parent = searcher.get_parent()
        if fieldname == "title" and self.sc.title_idf_from_body and "body" in parent.schema:
            fieldname = "body"
        return idf_value(self.sc.idf, parent.doc_count_all(), parent.doc_frequency(fieldname, text))

    def scorer(self, searcher, fieldname, text, qf=1):
        exact = self.exact_lengths.get(fieldname) if self.sc.exact_lengths else None
        b = self.sc.title_b if fieldname == "title" and self.sc.title_b is not None else self.sc.b
        return LeverScorer(searcher, fieldname, text, self.sc.k1, b, exact, self.sc.delta)


# ---------------------------------------------------------------------------------------------
# Index building (cached) and querying


@dataclass
class BuiltIndex:
    ix: object
    analyzer: object
    fields: list[str]
    ids: list[str]  # docnum -> doc id
    exact_lengths: dict[str, list[int]]
    seconds: float
    surface_analyzer: object = None  # unstemmed analyzer of the "surface" field


class IndexCache:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="whoosh-levers-"))
        self._built: dict[tuple, BuiltIndex] = {}

    def get(self, dataset, cfg: IndexConfig) -> BuiltIndex:
        key = (dataset.name, cfg)
        if key not in self._built:
            self._built[key] = self._build(dataset, cfg, len(self._built))
        return self._built[key]

    def _build(self, dataset, cfg: IndexConfig, n: int) -> BuiltIndex:
        ana = make_analyzer(cfg)
        names = {
            "combined": ["body"],
            "separate": ["title", "text"],
            "both": ["body", "title"],
            "both+surface": ["body", "title", "surface"],
        }
        fnames = names[cfg.layout]
        surface = make_analyzer(replace(cfg, stem="none"))
        analyzers = {f: surface if f == "surface" else ana for f in fnames}
        schema = fields.Schema(
            doc_id=fields.ID(stored=True),
            **{
                f: fields.TEXT(analyzer=analyzers[f], vector=cfg.vectors and f == "body")
                for f in fnames
            },
        )
        folder = self.root / f"ix{n}"
        folder.mkdir()
        t0 = time.perf_counter()
        ix = index.create_in(str(folder), schema)
        writer = ix.writer(limitmb=256, procs=1)
        ids, exact = [], {f: [] for f in fnames}
        for doc_id, title, text in dataset.docs:
            body = f"{title} {text}"
            values = {"body": body, "title": title, "text": text, "surface": body}
            doc = {f: values[f] for f in fnames}
            writer.add_document(doc_id=doc_id, **doc)
            ids.append(doc_id)
            for f in fnames:
                exact[f].append(sum(1 for _ in analyzers[f](values[f])))
        writer.commit()
        secs = time.perf_counter() - t0
        with ix.searcher() as s:  # document numbers must follow insertion order
            assert s.doc_count_all() == len(ids)
            assert s.stored_fields(len(ids) - 1)["doc_id"] == ids[-1]
        return BuiltIndex(ix, ana, fnames, ids, exact, secs, surface)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def query_terms(analyzer, text: str) -> list[str]:
    return [t.text for t in analyzer(text, mode="query")]


def query_weights(sc: ScoreConfig, terms: list[str]) -> dict[str, float]:
    """Weight per distinct query term. Whoosh's Or() drops equal Term objects, so the parser
    gives each distinct word weight 1 ("dedup"); "count" restores the query-term frequency."""
    counts = Counter(terms)
    if sc.qtf == "dedup":
        return {t: 1.0 for t in counts}
    if sc.qtf == "count":
        return {t: float(c) for t, c in counts.items()}
    if sc.qtf == "sqrt":
        return {t: math.sqrt(c) for t, c in counts.items()}
    if sc.qtf.startswith("k3="):  # BM25 query-term saturation (k3 + 1) qtf / (k3 + qtf)
        k3 = float(sc.qtf[3:])
        return {t: (k3 + 1) * c / (k3 + c) for t, c in counts.items()}
    raise ValueError(sc.qtf)


def build_query(
    built: BuiltIndex, sc: ScoreConfig, terms: list[str], weights: dict[str, float], text=""
):
    """Or of one Term per (distinct term, field) with boost = term weight x field boost, plus
    optional Phrase boosts for adjacent query-term pairs."""
    boosts = {"body": 1.0, "text": 1.0, "title": sc.title_boost}
    subs = [
        Term(f, t, boost=w * boosts[f])
        for t, w in weights.items()
        for f in built.fields
        if f in boosts and boosts[f] > 0
    ]
    if "surface" in built.fields and sc.surface_boost > 0:
        surface = query_weights(sc, query_terms(built.surface_analyzer, text))
        subs += [Term("surface", t, boost=w * sc.surface_boost) for t, w in surface.items()]
    if sc.phrase > 0:
        pf = "body" if "body" in built.fields else "text"
        pairs = {(a, b) for a, b in itertools.pairwise(terms) if a != b}
        subs += [Phrase(pf, [a, b], slop=sc.slop, boost=sc.phrase) for a, b in sorted(pairs)]
    return Or(subs)


class Ranker:
    def __init__(self, built: BuiltIndex, sc: ScoreConfig) -> None:
        self.built, self.sc = built, sc
        pl2 = sc.model == "pl2"
        weighting = scoring.PL2(c=1.0) if pl2 else LeverBM25(sc, built.exact_lengths)
        self.searcher = built.ix.searcher(weighting=weighting)

    def __call__(self, text: str) -> list[str]:
        sc, built = self.sc, self.built
        terms = query_terms(built.analyzer, text)
        weights = query_weights(sc, terms)
        q = build_query(built, sc, terms, weights, text)
        if sc.prf_docs:
            top = [hit.docnum for hit in self.searcher.search(q, limit=sc.prf_docs)]
            if top:
                weights = dict(weights)
                expansion = self.searcher.key_terms(top, "body", numterms=sc.prf_terms)
                top_w = max((w for _, w in expansion), default=0.0) or 1.0
                for t, w in expansion:
                    weights[t] = weights.get(t, 0.0) + sc.prf_weight * w / top_w
                q = build_query(built, sc, terms, weights, text)
        ids = built.ids
        return [ids[hit.docnum] for hit in self.searcher.search(q, limit=100)]

    def close(self) -> None:
        self.searcher.close()


def evaluate(cache, dataset, ixc: IndexConfig, sc: ScoreConfig):
    built = cache.get(dataset, ixc)
    ranker = Ranker(built, sc)
    try:
        return run_eval(dataset, ranker)
    finally:
        ranker.close()


def bootstrap_ci(deltas: list[float], n: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95% percentile-bootstrap interval of the mean of per-query differences."""
    rng = random.Random(seed)
    means = sorted(sum(rng.choices(deltas, k=len(deltas))) / len(deltas) for _ in range(n))
    return means[int(0.025 * n)], means[int(0.975 * n) - 1]


# ---------------------------------------------------------------------------------------------
# Experiments

B_IX, B_SC = BASELINE_IX, BASELINE_SC

# The recommended configuration (see docs/relevance.md).
BEST_IX = IndexConfig(stop="nltk", layout="both")
BEST_SC = ScoreConfig(idf="lucene", k1=1.2, b=1.0, qtf="k3=8", title_boost=0.25)

# Whoosh set up the way bm25s is: reproduces bm25s's scores to the third decimal.
BM25S_IX = replace(B_IX, stop="lucene", tokens="word")
BM25S_SC = replace(B_SC, idf="lucene", qtf="count", k1=1.5)

# (label, index config, score config): one change from the baseline per row.
LEVERS = [
    ("baseline: combined field, Whoosh idf, dedup query", B_IX, B_SC),
    ("idf = Lucene/bm25s", B_IX, replace(B_SC, idf="lucene")),
    ("query-term frequency: count", B_IX, replace(B_SC, qtf="count")),
    ("query-term frequency: k3=8 saturation", B_IX, replace(B_SC, qtf="k3=8")),
    ("query-term frequency: sqrt", B_IX, replace(B_SC, qtf="sqrt")),
    ("stop list: Lucene/bm25s 33", replace(B_IX, stop="lucene"), B_SC),
    ("stop list: NLTK 179 (bm25s en_plus)", replace(B_IX, stop="nltk"), B_SC),
    ("stop list: Snowball 127 (whoosh.lang)", replace(B_IX, stop="snowball"), B_SC),
    ("stop list: none", replace(B_IX, stop="none"), B_SC),
    ("stemmer: Porter (PyStemmer)", replace(B_IX, stem="porter"), B_SC),
    ("stemmer: Whoosh Porter (StemmingAnalyzer)", replace(B_IX, stem="whoosh"), B_SC),
    ("stemmer: none", replace(B_IX, stem="none"), B_SC),
    ("tokenizer: \\w+", replace(B_IX, tokens="word"), B_SC),
    ("tokenizer: keep + merge hyphenated words", replace(B_IX, tokens="hyphen"), B_SC),
    ("tokens of 1 character kept (minsize 1)", replace(B_IX, minsize=1), B_SC),
    ("accent folding", replace(B_IX, fold=True), B_SC),
    ("exact field lengths (no byte quantisation)", B_IX, replace(B_SC, exact_lengths=True)),
    ("k1=0.9 b=0.4 (Anserini BEIR)", B_IX, replace(B_SC, k1=0.9, b=0.4)),
    ("k1=1.5 (bm25s default)", B_IX, replace(B_SC, k1=1.5)),
    ("k1=2.0", B_IX, replace(B_SC, k1=2.0)),
    ("b=0.5", B_IX, replace(B_SC, b=0.5)),
    ("b=0.9", B_IX, replace(B_SC, b=0.9)),
    ("b=1.0", B_IX, replace(B_SC, b=1.0)),
    ("BM25+ delta=0.5", B_IX, replace(B_SC, delta=0.5)),
    ("separate title/text fields (as MultifieldParser)", replace(B_IX, layout="separate"), B_SC),
    ("body + title field, title boost 0.25", replace(B_IX, layout="both"),
     replace(B_SC, title_boost=0.25)),
    ("body + title field, title boost 0.5", replace(B_IX, layout="both"),
     replace(B_SC, title_boost=0.5)),
    ("body + title field, title boost 1.0", replace(B_IX, layout="both"),
     replace(B_SC, title_boost=1.0)),
    ("+ unstemmed body field, boost 0.4", replace(B_IX, layout="both+surface"),
     replace(B_SC, title_boost=0.0, surface_boost=0.4)),
    ("phrase boost 0.1 (adjacent pairs, slop 1)", B_IX, replace(B_SC, phrase=0.1)),
    ("phrase boost 0.2 (adjacent pairs, slop 1)", B_IX, replace(B_SC, phrase=0.2)),
    ("phrase boost 0.1, slop 8", B_IX, replace(B_SC, phrase=0.1, slop=8)),
    ("PRF: Whoosh key_terms (Bo1), 10 docs, 20 terms, 0.3", replace(B_IX, vectors=True),
     replace(B_SC, prf_docs=10, prf_terms=20, prf_weight=0.3)),
    ("model: Whoosh PL2 (c=1)", B_IX, replace(B_SC, model="pl2")),
]  # fmt: skip

# Cumulative path from the baseline to the recommended configuration.
PATH = [
    ("baseline", B_IX, B_SC),
    ("bm25s-equivalent Whoosh (Lucene stop+idf, \\w+, count, k1 1.5)", BM25S_IX, BM25S_SC),
    ("  same, exact field lengths", BM25S_IX, replace(BM25S_SC, exact_lengths=True)),
    ("  same, but duplicate query terms collapsed", BM25S_IX, replace(BM25S_SC, qtf="dedup")),
    ("  same, but Whoosh idf", BM25S_IX, replace(BM25S_SC, idf="whoosh")),
    ("1. idf = Lucene", B_IX, replace(B_SC, idf="lucene")),
    ("2. + query-term frequency (k3=8)", B_IX, replace(B_SC, idf="lucene", qtf="k3=8")),
    ("3. + NLTK stop list", IndexConfig(stop="nltk"),
     replace(B_SC, idf="lucene", qtf="k3=8")),
    ("4. + title field, boost 0.25 (body keeps the title)", BEST_IX,
     replace(B_SC, idf="lucene", qtf="k3=8", title_boost=0.25)),
    ("5. + b=1.0 = RECOMMENDED", BEST_IX, BEST_SC),
]  # fmt: skip

# One change from the recommended configuration per row (sensitivity).
AROUND = [
    ("recommended", BEST_IX, BEST_SC),
    ("  Whoosh idf", BEST_IX, replace(BEST_SC, idf="whoosh")),
    ("  duplicate query terms collapsed (dedup)", BEST_IX, replace(BEST_SC, qtf="dedup")),
    ("  query-term frequency: count", BEST_IX, replace(BEST_SC, qtf="count")),
    ("  stop list: Whoosh 33", replace(BEST_IX, stop="whoosh"), BEST_SC),
    ("  stop list: Lucene 33", replace(BEST_IX, stop="lucene"), BEST_SC),
    ("  stemmer: Porter (PyStemmer)", replace(BEST_IX, stem="porter"), BEST_SC),
    ("  no title field (combined only)", replace(BEST_IX, layout="combined"), BEST_SC),
    ("  title boost 0.5", BEST_IX, replace(BEST_SC, title_boost=0.5)),
    ("  k1=0.9", BEST_IX, replace(BEST_SC, k1=0.9)),
    ("  k1=1.5", BEST_IX, replace(BEST_SC, k1=1.5)),
    ("  b=0.75", BEST_IX, replace(BEST_SC, b=0.75)),
    ("  b=0.9", BEST_IX, replace(BEST_SC, b=0.9)),
    ("  tokenizer: keep + merge hyphenated words", replace(BEST_IX, tokens="hyphen"), BEST_SC),
    ("  minsize 1", replace(BEST_IX, minsize=1), BEST_SC),
    ("  accent folding", replace(BEST_IX, fold=True), BEST_SC),
    ("  exact field lengths", BEST_IX, replace(BEST_SC, exact_lengths=True)),
    ("  phrase boost 0.1 (slop 1)", BEST_IX, replace(BEST_SC, phrase=0.1)),
    ("  + unstemmed body field, boost 0.4", replace(BEST_IX, layout="both+surface"),
     replace(BEST_SC, surface_boost=0.4)),
    ("  PRF (Bo1 key_terms, 10 docs, 20 terms, 0.3)", replace(BEST_IX, vectors=True),
     replace(BEST_SC, prf_docs=10, prf_terms=20, prf_weight=0.3)),
]  # fmt: skip

TABLES = {"levers": LEVERS, "path": PATH, "around": AROUND}
LABEL_WIDTH = 62


def print_row(label, scores, sets, out=sys.stdout):
    cells = " ".join(f"{scores.get(s, float('nan')):>8.3f}" for s in sets)
    print(f"{label:<{LABEL_WIDTH}} {cells}", file=out, flush=True)


def run_table(name, rows, sets, datasets, cache, results):
    print(f"\n{name:<{LABEL_WIDTH}} " + " ".join(f"{s:>8}" for s in sets), flush=True)
    for label, ixc, sc in rows:
        scores = {s: evaluate(cache, datasets[s], ixc, sc).ndcg_at_10 for s in sets}
        results.append(
            {"table": name, "label": label, "index": asdict(ixc), "score": asdict(sc), **scores}
        )
        print_row(label, scores, sets)


def run_best(sets, datasets, cache, results):
    """Recommended config: all metrics, latency, and 95% bootstrap CIs of the gain."""
    print(f"\n{'best':<8} {'nDCG@10':>8} {'R@100':>7} {'MRR@10':>7} {'p50 ms':>7} {'p99 ms':>7}"
          f"  {'vs baseline (95% CI)':>24}  {'vs bm25s-equiv (95% CI)':>24}")  # fmt: skip
    for s in sets:
        best = evaluate(cache, datasets[s], BEST_IX, BEST_SC)
        base = evaluate(cache, datasets[s], B_IX, B_SC)
        bm = evaluate(cache, datasets[s], BM25S_IX, BM25S_SC)
        cells = []
        for other in (base, bm):
            pairs = zip(best.per_query, other.per_query, strict=True)
            d = [x.ndcg_at_10 - y.ndcg_at_10 for x, y in pairs]
            lo, hi = bootstrap_ci(d)
            cells.append(f"{sum(d) / len(d):+.3f} [{lo:+.3f}, {hi:+.3f}]")
        results.append({"table": "best", "set": s, **best.to_dict(), "ci": cells})
        print(f"{s:<8} {best.ndcg_at_10:>8.3f} {best.recall_at_100:>7.3f} {best.mrr_at_10:>7.3f} "
              f"{best.p50_ms:>7.2f} {best.p99_ms:>7.2f}  {cells[0]:>24}  {cells[1]:>24}",
              flush=True)  # fmt: skip


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--sets", default=",".join(TARGET_SETS), help="of " + ",".join(SETS))
    ap.add_argument("--tables", default="levers,path,around,best",
                    help="comma list of levers,path,around,best")  # fmt: skip
    ap.add_argument("--json", type=Path, help="write every row to this JSON file")
    args = ap.parse_args(argv)
    sets = [s for s in args.sets.split(",") if s]
    for s in sets:
        if s not in SETS:
            ap.error(f"unknown set {s!r}")
    tables = [t for t in args.tables.split(",") if t]
    if not args.data.is_dir():
        print(f"data folder {args.data} not found; pass --data DIR", file=sys.stderr)
        return 2
    datasets = {s: load_dataset(args.data / SETS[s][0], split=SETS[s][1]) for s in sets}
    cache = IndexCache()
    results: list[dict] = []
    try:
        for t in tables:
            if t == "best":
                run_best(sets, datasets, cache, results)
            else:
                run_table(t, TABLES[t], sets, datasets, cache, results)
    finally:
        cache.close()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

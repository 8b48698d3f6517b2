"""Relevance evaluation: BEIR-style dataset loading, IR metrics and a timed evaluation loop.

This module owns the *measurement* side of search quality and nothing else:

- ``load_dataset`` reads a BEIR-style folder (``corpus.jsonl[.gz]``, ``queries.jsonl``,
  ``qrels.tsv``) into a :class:`Dataset`, raising :class:`DatasetError` that names the file
  and the problem when the folder is missing or malformed.
- ``ndcg_at_k``, ``recall_at_k``, ``mrr_at_k`` implement the trec_eval / BEIR definitions
  (graded linear gain, log2 discount, ideal ranking from all judged gains > 0).
- ``summarise`` turns per-query rankings and latencies into an :class:`EvalReport`;
  ``run_eval`` times any ranker callable (``query text -> ranked doc ids``) over a dataset.
- ``documents_as_articles`` adapts a dataset to :class:`searchsvc.extract.Article` objects so the
  project's real indexing code can index it.

It is deliberately pure: no Flask, no click, no Whoosh. Building an index and wrapping the
project's search function as a ranker is ``relevance``'s job.
"""

from __future__ import annotations

import gzip
import json
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NamedTuple

from searchsvc.errors import DatasetError
from searchsvc.extract import Article, Section

__all__ = [
    "Dataset",
    "DatasetError",
    "Doc",
    "EvalReport",
    "documents_as_articles",
    "load_dataset",
    "mrr_at_k",
    "ndcg_at_k",
    "percentile",
    "recall_at_k",
    "run_eval",
    "summarise",
]

Qrels = dict[str, dict[str, int | float]]
Ranker = Callable[[str], Sequence[str]]

# Split names that mean "the default files" (queries.jsonl + qrels.tsv).
DEFAULT_SPLITS = frozenset({"", "test", "dev"})
QRELS_HEADER = ("query-id", "corpus-id", "score")


class Doc(NamedTuple):
    """One corpus document. A tuple, so ``for doc_id, title, text in dataset.docs`` works."""

    id: str
    title: str
    text: str


@dataclass
class Dataset:
    """A loaded BEIR-style dataset.

    ``queries`` holds only judged queries (those that appear in ``qrels``); ``qrels`` maps
    query id -> {doc id: gain}, gain as written in the file (> 0 means relevant).
    """

    name: str
    path: Path
    split: str
    docs: list[Doc]
    queries: dict[str, str]
    qrels: Qrels

    @property
    def n_relevant_pairs(self) -> int:
        return sum(1 for q in self.qrels.values() for g in q.values() if g > 0)

    @property
    def n_judged_pairs(self) -> int:
        return sum(len(q) for q in self.qrels.values())


@dataclass
class QueryResult:
    """Per-query metrics inside an :class:`EvalReport`."""

    query_id: str
    ndcg_at_10: float
    recall_at_100: float
    mrr_at_10: float
    latency_ms: float | None = None


@dataclass
class EvalReport:
    """Mean metrics over the evaluated queries plus latency percentiles.

    ``n_queries`` counts the queries that were scored (those with at least one doc of gain > 0).
    Latencies cover every query that was timed; ``p50_ms``/``p99_ms`` are ``None`` if none were.
    """

    ndcg_at_10: float
    recall_at_100: float
    mrr_at_10: float
    n_queries: int
    p50_ms: float | None
    p99_ms: float | None
    per_query: list[QueryResult] = field(default_factory=list)

    def to_dict(self, per_query: bool = False) -> dict:
        d = asdict(self)
        if not per_query:
            d.pop("per_query")
        return d


# ---------------------------------------------------------------------------------------------
# Loading


def _open_text(path: Path):
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open("r", encoding="utf-8")


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    try:
        with _open_text(path) as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as e:
                    raise DatasetError(f"{path}: line {lineno}: invalid JSON ({e.msg})") from e
                if not isinstance(obj, dict):
                    raise DatasetError(f"{path}: line {lineno}: expected a JSON object")
                yield lineno, obj
    except (OSError, EOFError, UnicodeDecodeError) as e:
        # gzip.BadGzipFile is an OSError; truncated gzip raises EOFError.
        raise DatasetError(f"{path}: cannot read ({e})") from e


def _str_field(obj: dict, key: str, path: Path, lineno: int, required: bool) -> str:
    value = obj.get(key)
    if value is None:
        if required:
            raise DatasetError(f"{path}: line {lineno}: missing {key!r}")
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise DatasetError(f"{path}: line {lineno}: {key!r} must be a string")
    return value


def _find_corpus(folder: Path) -> Path:
    for name in ("corpus.jsonl", "corpus.jsonl.gz"):
        p = folder / name
        if p.is_file():
            return p
    raise DatasetError(f"{folder}: no corpus.jsonl or corpus.jsonl.gz")


def _split_files(folder: Path, split: str) -> tuple[Path, Path]:
    """Return (queries file, qrels file) for a split name."""
    if split in DEFAULT_SPLITS:
        queries, qrels = folder / "queries.jsonl", folder / "qrels.tsv"
        if not qrels.is_file() and (folder / "qrels" / "test.tsv").is_file():
            qrels = folder / "qrels" / "test.tsv"  # stock BEIR layout
        return queries, qrels
    qrels = folder / f"{split}_qrels.tsv"
    if not qrels.is_file() and (folder / "qrels" / f"{split}.tsv").is_file():
        qrels = folder / "qrels" / f"{split}.tsv"
    if not qrels.is_file():
        raise DatasetError(f"{folder}: split {split!r} has no {split}_qrels.tsv")
    queries = folder / f"{split}_queries.jsonl"
    if not queries.is_file():
        queries = folder / "queries.jsonl"
    return queries, qrels


def _parse_gain(raw: str, path: Path, lineno: int) -> int | float:
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        value = float(raw)
    except ValueError:
        raise DatasetError(f"{path}: line {lineno}: score {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise DatasetError(f"{path}: line {lineno}: score {raw!r} is not finite")
    return value


def load_qrels(path: Path) -> Qrels:
    """Read a BEIR qrels TSV (header ``query-id corpus-id score``)."""
    qrels: Qrels = {}
    try:
        with path.open("r", encoding="utf-8") as fh:
            header = fh.readline()
            cols = tuple(header.rstrip("\r\n").split("\t"))
            if cols != QRELS_HEADER:
                raise DatasetError(
                    f"{path}: line 1: header must be {chr(9).join(QRELS_HEADER)!r} "
                    f"(tab-separated), got {header.rstrip(chr(13) + chr(10))!r}"
                )
            for lineno, line in enumerate(fh, 2):
                if not line.strip():
                    continue
                parts = line.rstrip("\r\n").split("\t")
                if len(parts) != 3:
                    raise DatasetError(
                        f"{path}: line {lineno}: expected 3 tab-separated columns, got {len(parts)}"
                    )
                qid, docid, raw = (p.strip() for p in parts)
                if not qid or not docid:
                    raise DatasetError(f"{path}: line {lineno}: empty query-id or corpus-id")
                qrels.setdefault(qid, {})[docid] = _parse_gain(raw, path, lineno)
    except OSError as e:
        raise DatasetError(f"{path}: cannot read ({e})") from e
    if not qrels:
        raise DatasetError(f"{path}: no judgments")
    return qrels


def load_dataset(path: str | Path, split: str = "test") -> Dataset:
    """Load a BEIR-style folder.

    ``split`` "test"/"dev" (or "") reads ``queries.jsonl`` + ``qrels.tsv``; any other name, e.g.
    "train", reads ``train_qrels.tsv`` and ``train_queries.jsonl`` (falling back to
    ``queries.jsonl``). Extra JSON keys are ignored. Queries are restricted to judged ones.
    Raises :class:`DatasetError` naming the file and the problem.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: dataset folder not found")
    corpus_path = _find_corpus(folder)
    queries_path, qrels_path = _split_files(folder, split)
    if not qrels_path.is_file():
        raise DatasetError(f"{qrels_path}: qrels file not found")
    if not queries_path.is_file():
        raise DatasetError(f"{queries_path}: queries file not found")

    docs: list[Doc] = []
    seen: set[str] = set()
    for lineno, obj in _read_jsonl(corpus_path):
        doc_id = _str_field(obj, "_id", corpus_path, lineno, required=True)
        if doc_id in seen:
            raise DatasetError(f"{corpus_path}: line {lineno}: duplicate _id {doc_id!r}")
        seen.add(doc_id)
        title = _str_field(obj, "title", corpus_path, lineno, required=False)
        text = _str_field(obj, "text", corpus_path, lineno, required=False)
        docs.append(Doc(doc_id, title, text))
    if not docs:
        raise DatasetError(f"{corpus_path}: no documents")

    qrels = load_qrels(qrels_path)

    all_queries: dict[str, str] = {}
    for lineno, obj in _read_jsonl(queries_path):
        qid = _str_field(obj, "_id", queries_path, lineno, required=True)
        all_queries[qid] = _str_field(obj, "text", queries_path, lineno, required=True)
    missing = sorted(q for q in qrels if q not in all_queries)
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise DatasetError(
            f"{qrels_path}: {len(missing)} judged query id(s) have no text in "
            f"{queries_path.name}: {shown}"
        )
    queries = {qid: all_queries[qid] for qid in qrels}
    return Dataset(
        name=folder.name,
        path=folder,
        split=split or "test",
        docs=docs,
        queries=queries,
        qrels=qrels,
    )


def documents_as_articles(dataset: Dataset) -> Iterator[Article]:
    """Yield one Article per document so the project's indexing code can index a dataset.

    id = doc id, title = title, topic = dataset folder name, url = "", and a single lead
    ``Section(heading="", anchor="", text=text)``.
    """
    for doc in dataset.docs:
        yield Article(
            id=doc.id,
            url="",
            title=doc.title,
            topic=dataset.name,
            sections=[Section(heading="", anchor="", text=doc.text)],
        )


# ---------------------------------------------------------------------------------------------
# Metrics


def _dedup_topk(ranked_ids: Iterable[str], k: int) -> list[str]:
    """First k distinct ids in rank order (a doc retrieved twice counts once, as in trec_eval)."""
    out: list[str] = []
    seen: set[str] = set()
    for d in ranked_ids:
        if len(out) >= k:
            break
        if d in seen:
            continue
        seen.add(d)
        out.append(d)
    return out


def _check_k(k: int) -> None:
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")


def ndcg_at_k(ranked_ids: Iterable[str], qrels_for_q: Mapping[str, float], k: int = 10) -> float:
    """nDCG@k with linear graded gain and log2 discount (trec_eval ``ndcg_cut``, BEIR).

    DCG = sum over ranks i = 1..k of gain(doc_i) / log2(i + 1); gain is the judged score, with
    unjudged and non-positive scores counting 0. The ideal DCG sorts *all* judged gains > 0
    (retrieved or not). Returns 0.0 when the query has no relevant documents.
    """
    _check_k(k)
    top = _dedup_topk(ranked_ids, k)
    dcg = sum(max(qrels_for_q.get(d, 0), 0) / math.log2(rank + 1) for rank, d in enumerate(top, 1))
    ideal = sorted((g for g in qrels_for_q.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(rank + 1) for rank, g in enumerate(ideal, 1))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at_k(ranked_ids: Iterable[str], qrels_for_q: Mapping[str, float], k: int = 100) -> float:
    """Relevant docs (gain > 0) in the top k / all relevant docs. 0.0 if none are relevant."""
    _check_k(k)
    relevant = {d for d, g in qrels_for_q.items() if g > 0}
    if not relevant:
        return 0.0
    hits = sum(1 for d in _dedup_topk(ranked_ids, k) if d in relevant)
    return hits / len(relevant)


def mrr_at_k(ranked_ids: Iterable[str], qrels_for_q: Mapping[str, float], k: int = 10) -> float:
    """1 / rank of the first relevant doc (gain > 0) within the top k, else 0.0."""
    _check_k(k)
    for rank, d in enumerate(_dedup_topk(ranked_ids, k), 1):
        if qrels_for_q.get(d, 0) > 0:
            return 1.0 / rank
    return 0.0


def percentile(values: Iterable[float], p: float) -> float:
    """The p-th percentile (0..100) with linear interpolation between closest ranks.

    Same definition as ``numpy.percentile(values, p)`` (method "linear"). Raises ValueError on an
    empty input or p outside [0, 100].
    """
    xs = sorted(values)
    if not xs:
        raise ValueError("percentile of an empty sequence")
    if not 0 <= p <= 100:
        raise ValueError(f"p must be in [0, 100], got {p}")
    pos = (len(xs) - 1) * p / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs) if xs else 0.0


def summarise(
    runs: Mapping[str, Sequence[str]],
    qrels: Mapping[str, Mapping[str, float]],
    latencies: Mapping[str, float] | Sequence[float] = (),
) -> EvalReport:
    """Average the metrics over judged queries and summarise latencies.

    ``runs``: query id -> ranked doc ids. ``qrels``: query id -> {doc id: gain}.
    ``latencies``: seconds per query (a mapping by query id, or a plain sequence).

    As in BEIR / trec_eval, queries with no doc of gain > 0 are excluded from the means; a judged
    query missing from ``runs`` scores 0 (an empty ranking). Runs for unjudged queries are ignored.
    """
    lat_by_q = dict(latencies) if isinstance(latencies, Mapping) else {}
    lat_values = list(latencies.values()) if isinstance(latencies, Mapping) else list(latencies)
    per_query: list[QueryResult] = []
    for qid in sorted(qrels, key=_natural_key):
        judged = qrels[qid]
        if not any(g > 0 for g in judged.values()):
            continue
        ranked = list(runs.get(qid, ()))
        lat = lat_by_q.get(qid)
        per_query.append(
            QueryResult(
                query_id=qid,
                ndcg_at_10=ndcg_at_k(ranked, judged, 10),
                recall_at_100=recall_at_k(ranked, judged, 100),
                mrr_at_10=mrr_at_k(ranked, judged, 10),
                latency_ms=None if lat is None else lat * 1000.0,
            )
        )
    ms = [x * 1000.0 for x in lat_values]
    return EvalReport(
        ndcg_at_10=_mean([r.ndcg_at_10 for r in per_query]),
        recall_at_100=_mean([r.recall_at_100 for r in per_query]),
        mrr_at_10=_mean([r.mrr_at_10 for r in per_query]),
        n_queries=len(per_query),
        p50_ms=percentile(ms, 50) if ms else None,
        p99_ms=percentile(ms, 99) if ms else None,
        per_query=per_query,
    )


def _natural_key(qid: str) -> tuple[int, int | str]:
    return (0, int(qid)) if qid.isdigit() else (1, qid)


def run_eval(
    dataset: Dataset,
    ranker: Ranker,
    progress: Callable[[int, int], None] | None = None,
) -> EvalReport:
    """Run ``ranker(query_text) -> ranked doc ids`` (top 100) on every judged query and score it.

    Each call is timed with ``time.perf_counter`` (the ranker's own work only: metric computation
    is outside the timed region). ``progress(done, total)`` is called after each query.
    """
    qids = sorted(dataset.queries, key=_natural_key)
    runs: dict[str, list[str]] = {}
    latencies: dict[str, float] = {}
    total = len(qids)
    for i, qid in enumerate(qids, 1):
        text = dataset.queries[qid]
        t0 = time.perf_counter()
        ranked = ranker(text)
        latencies[qid] = time.perf_counter() - t0
        runs[qid] = list(ranked)[:100]
        if progress is not None:
            progress(i, total)
    return summarise(runs, dataset.qrels, latencies)

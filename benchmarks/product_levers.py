"""Ranking levers of the product itself: nDCG@10 of ``search()`` on every DEV set per setting.

    python benchmarks/product_levers.py [--data DIR] [--tables weights,proximity] [--json FILE]

Each set is indexed once with the real indexing code (into /tmp/searchsvc-bench/levers) and
searched with ``cli.project_ranker`` (the API's ``search()``, result cache off). A row changes
the scorer's module constants in this process (``scorer.FIELD_WEIGHTS``, ``EXACT_WEIGHT``) or
wraps ``search.match`` with an experimental proximity rerank; every row is measured on all four
DEV sets plus scifact's 809 *train* claims (same corpus, disjoint queries), the larger sample
that tells a real scifact effect from noise. Results go to docs/relevance.md.

The proximity rerank (Büttcher, Clarke & Lushman, SIGIR 2006) is not in the product: for the
top ``N`` sections, each pair of neighbouring query-term occurrences of different terms within
``window`` words adds ``idf(other) / distance²`` to each term's accumulator, and the section
gains ``lam * Σ min(1, idf(t)) · acc(t)·(k1+1) / (acc(t) + K)``, with K the section's BM25
length norm. "query pairs" instead rewards only pairs of words adjacent in the query.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_DATA, OUT_ROOT

from searchsvc import scorer
from searchsvc import search as search_module
from searchsvc.cli import project_ranker
from searchsvc.evaluate import documents_as_articles, load_dataset, run_eval
from searchsvc.index import FORMAT, build_from_articles
from searchsvc.ranking import K1, lucene_idf, term_positions, terms
from searchsvc.search import Session

SETS = {
    "scifact": "beir-scifact",
    "med": "glasgow-med",
    "cran": "glasgow-cran",
    "cisi": "glasgow-cisi",
}
COLUMNS = [*SETS, "scifact-train"]


def load_sets(data: Path) -> dict[str, tuple]:
    """name -> (dataset, index dir); indexes are built once per index format."""
    out = {}
    for name, folder in SETS.items():
        dataset = load_dataset(data / folder)
        index_dir = OUT_ROOT / "levers" / f"{name}-format{FORMAT}"
        if not (index_dir / "current").exists():
            build_from_articles(index_dir, documents_as_articles(dataset))
        out[name] = (dataset, index_dir)
    out["scifact-train"] = (load_dataset(data / SETS["scifact"], "train"), out["scifact"][1])
    return out


@contextmanager
def weights(title: float = 0.3, exact: float = 0.2, heading: float = 0.5):
    saved = dict(scorer.FIELD_WEIGHTS), scorer.EXACT_WEIGHT
    scorer.FIELD_WEIGHTS.update(title=title, heading=heading)
    scorer.EXACT_WEIGHT = exact
    try:
        yield
    finally:
        scorer.FIELD_WEIGHTS.clear()
        scorer.FIELD_WEIGHTS.update(saved[0])
        scorer.EXACT_WEIGHT = saved[1]


# --- the experimental proximity rerank ------------------------------------------------------


def buttcher(hits: list[tuple[int, str]], idf: dict, norm: float, window: int, **_) -> float:
    acc: dict[str, float] = {}
    for (p1, t1), (p2, t2) in pairwise(hits):
        if t1 != t2 and p2 - p1 <= window:
            acc[t2] = acc.get(t2, 0.0) + idf[t1] / (p2 - p1) ** 2
            acc[t1] = acc.get(t1, 0.0) + idf[t2] / (p2 - p1) ** 2
    return sum(min(1.0, idf[t]) * a * (K1 + 1) / (a + norm) for t, a in acc.items())


def query_pairs(hits, idf, norm, window: int, sequence: list[str], **_) -> float:
    where: dict[str, list[int]] = {}
    for pos, t in hits:
        where.setdefault(t, []).append(pos)
    total = 0.0
    for a, b in {(a, b) for a, b in pairwise(sequence) if a != b}:
        near = sum(
            1.0 / abs(q - p)
            for p in where.get(a, ())
            for q in where.get(b, ())
            if 0 < abs(q - p) <= window
        )
        total += min(idf[a], idf[b]) * near * (K1 + 1) / (near + norm) if near else 0.0
    return total


@contextmanager
def proximity(kind: Callable, lam: float, window: int, top: int = 50):
    """Wrap ``search.match`` (and ``build_query``, to see the query) with the rerank."""
    original_match, original_build = search_module.match, search_module.build_query
    state: dict = {}

    def build(parsed, gen, reader):
        built = original_build(parsed, gen, reader)
        typed = terms(" ".join(parsed.words + parsed.phrases))
        state.update(
            gen=gen, reader=reader, built=built, sequence=[t for t in typed if t in built.weights]
        )
        return built

    def match(gen, scores, allowed):
        m = original_match(gen, scores, allowed)
        k = min(top, int(np.count_nonzero(m.scores)))
        if not k:
            return m
        wanted = state["built"].weights
        idf = {
            t: lucene_idf(gen.doc_count, max(1, gen.term(state["reader"], "body", t).size))
            for t in wanted
        }
        searcher = state["searcher"]
        for doc in np.argpartition(-m.scores, k - 1)[:k]:
            f = searcher.stored_fields(int(doc))
            body = f"{f['title']}\n{f['heading']}\n{f['text']}"
            hits = [(p, t) for p, t in term_positions(body) if t in wanted]
            norm = float(gen.norms["body"][doc])
            m.scores[doc] += lam * kind(hits, idf, norm, window=window, sequence=state["sequence"])
        return m

    search_module.match, search_module.build_query = match, build
    try:
        yield state
    finally:
        search_module.match, search_module.build_query = original_match, original_build


# --- running ---------------------------------------------------------------------------------


def tracking_ranker(session: Session, state: dict | None) -> Callable[[str], list[str]]:
    """``project_ranker``, also telling the proximity rerank which searcher is current."""
    rank = project_ranker(session)

    def ranker(text: str) -> list[str]:
        if state is not None:
            session.refresh()
            state["searcher"] = session.searcher
        return rank(text)

    return ranker


def measure(sets: dict, state: dict | None = None) -> dict[str, float]:
    row = {}
    for name, (dataset, index_dir) in sets.items():
        with Session(index_dir, cache_size=0) as session:
            row[name] = run_eval(dataset, tracking_ranker(session, state)).ndcg_at_10
    return row


TABLES = {
    "weights": [
        ("no exact field, title 0.25 (before)", dict(exact=0.0, title=0.25)),
        ("exact 0.2, title 0.25", dict(exact=0.2, title=0.25)),
        ("exact 0.3, title 0.25", dict(exact=0.3, title=0.25)),
        ("exact 0.4, title 0.25", dict(exact=0.4, title=0.25)),
        ("exact 0.6, title 0.25", dict(exact=0.6, title=0.25)),
        ("exact 0.2, title 0.3 (**current**)", dict(exact=0.2, title=0.3)),
        ("exact 0.25, title 0.3", dict(exact=0.25, title=0.3)),
        ("exact 0.3, title 0.3", dict(exact=0.3, title=0.3)),
        ("exact 0.35, title 0.3", dict(exact=0.35, title=0.3)),
        ("exact 0.3, title 0.35", dict(exact=0.3, title=0.35)),
        ("exact 0.3, title 0.2", dict(exact=0.3, title=0.2)),
    ],
    "proximity": [
        ("current, no proximity", None),
        ("Büttcher, window 5, λ 0.2", (buttcher, 0.2, 5)),
        ("Büttcher, window 5, λ 0.3", (buttcher, 0.3, 5)),
        ("Büttcher, window 5, λ 0.5", (buttcher, 0.5, 5)),
        ("Büttcher, window 10, λ 0.5", (buttcher, 0.5, 10)),
        ("Büttcher, window 5, λ 1.0", (buttcher, 1.0, 5)),
        ("query pairs, window 2, λ 0.3", (query_pairs, 0.3, 2)),
        ("query pairs, window 5, λ 0.3", (query_pairs, 0.3, 5)),
        ("query pairs, window 5, λ 1.0", (query_pairs, 1.0, 5)),
    ],
}


def run_table(name: str, sets: dict) -> list[dict]:
    rows = []
    print(f"\n{name}\n| setting | {' | '.join(COLUMNS)} |\n|---|{'---:|' * len(COLUMNS)}")
    for label, setting in TABLES[name]:
        if name == "weights":
            with weights(**setting):
                row = measure(sets)
        elif setting is None:
            row = measure(sets)
        else:
            with proximity(*setting) as state:
                row = measure(sets, state)
        print(f"| {label} | " + " | ".join(f"{row[c]:.3f}" for c in COLUMNS) + " |", flush=True)
        rows.append({"table": name, "setting": label, **row})
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    sets = load_sets(args.data)
    rows = [row for name in args.tables.split(",") for row in run_table(name, sets)]
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()

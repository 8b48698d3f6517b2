"""Ranking levers of the product itself: nDCG@10 of ``search()`` on every DEV set per setting.

    python benchmarks/product_levers.py [--data DIR] [--tables weights,proximity] [--json FILE]

Each set is indexed once with the real indexing code (into /tmp/searchsvc-bench/levers) and
searched with ``relevance.project_ranker`` (the API's ``search()``, result cache off). A row
passes the engine other ``RankingParams`` or an experimental ``Ranker`` subclass with a
proximity rerank; nothing is patched. Every row is measured on all four
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
from itertools import pairwise
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_DATA, OUT_ROOT

from searchsvc.evaluate import documents_as_articles, load_dataset, run_eval
from searchsvc.index import FORMAT, build_from_articles, section_body
from searchsvc.ranking import RankingParams, lucene_idf, term_positions, terms
from searchsvc.relevance import project_ranker
from searchsvc.scorer import BuiltQuery, Matches, Ranker
from searchsvc.session import Engine

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


# --- the experimental proximity rerank ------------------------------------------------------


K1 = RankingParams().k1


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


def proximity(kind: Callable, lam: float, window: int, top: int = 50) -> type[Ranker]:
    """A ``Ranker`` that adds the rerank to the top ``top`` sections' scores."""

    class ProximityRanker(Ranker):
        def build(self, parsed):
            built = super().build(parsed)
            typed = terms(" ".join(parsed.words + parsed.phrases))
            self.sequence = [t for t in typed if t in built.weights]
            return built

        def match(self, built: BuiltQuery) -> Matches:
            m = super().match(built)
            k = min(top, int(np.count_nonzero(m.scores)))
            if not k:
                return m
            arrays, wanted = self.arrays, built.weights
            idf = {
                t: lucene_idf(arrays.doc_count, max(1, arrays.term(self.reader, "body", t).size))
                for t in wanted
            }
            for doc in np.argpartition(-m.scores, k - 1)[:k]:
                s = self.section(int(doc))
                body = section_body(s.title, s.heading, s.text)
                hits = [(p, t) for p, t in term_positions(body) if t in wanted]
                norm = float(arrays.norms["body"][doc])
                m.scores[doc] += lam * kind(hits, idf, norm, window=window, sequence=self.sequence)
            return m

    return ProximityRanker


# --- running ---------------------------------------------------------------------------------


def measure(sets: dict, params: RankingParams | None = None, ranker=Ranker) -> dict[str, float]:
    row = {}
    for name, (dataset, index_dir) in sets.items():
        engine = Engine(index_dir, params=params, cache_size=0, ranker=ranker)
        with engine.session() as view:
            row[name] = run_eval(dataset, project_ranker(view)).ndcg_at_10
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
            row = measure(sets, params=RankingParams(**setting))
        elif setting is None:
            row = measure(sets)
        else:
            row = measure(sets, ranker=proximity(*setting))
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

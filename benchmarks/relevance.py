"""Relevance benchmark: searchsvc against peer engines on the DEV evaluation sets.

    python benchmarks/relevance.py [--data DIR] [--sets scifact,med,cran,cisi]
                                   [--engines bm25s,sqlite-fts5,tantivy,whoosh,searchsvc]
                                   [--split test] [--json FILE]

For each set, every engine indexes the corpus (timed) and answers every judged query through
``searchsvc.evaluate.run_eval`` (timed per query with ``perf_counter``), so all engines are
measured the same way in one process. Prints one table: set, engine, nDCG@10, Recall@100,
MRR@10, p50 ms, p99 ms, index seconds.

The project's own engine ("searchsvc") is measured in this process like the peers: the dataset
is indexed with the real indexing code (``searchsvc.index.build_from_articles`` over
``evaluate.documents_as_articles``, timed) and searched with the API's own search
(``searchsvc.relevance.project_ranker``: ``search()`` with the result cache off). If
those are not importable, ``searchsvc eval --json DATASET_DIR`` is run instead (its own process,
so its timings are not strictly comparable); failing both, the row says
"searchsvc: not available yet".
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers import PEERS

from searchsvc.errors import DatasetError
from searchsvc.evaluate import load_dataset, run_eval

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data"
SETS = {
    "scifact": "beir-scifact",
    "med": "glasgow-med",
    "cran": "glasgow-cran",
    "cisi": "glasgow-cisi",
}
PROJECT = "searchsvc"
ENGINES = [*PEERS, PROJECT]


def run_peer(name, dataset):
    engine = PEERS[name]()
    try:
        t0 = time.perf_counter()
        engine.index(dataset.docs)
        index_s = time.perf_counter() - t0
        report = run_eval(dataset, engine.search)
    finally:
        engine.close()
    return report.to_dict(), index_s


def run_project(dataset):
    """(report dict, index seconds) for searchsvc, or (None, reason) if it is not available."""
    try:
        from searchsvc.evaluate import documents_as_articles
        from searchsvc.index import build_from_articles
        from searchsvc.relevance import project_ranker
        from searchsvc.session import Engine
    except ImportError:
        return run_project_cli(dataset)
    workdir = Path(tempfile.mkdtemp(prefix="relevance-searchsvc-"))
    try:
        t0 = time.perf_counter()
        build_from_articles(workdir, documents_as_articles(dataset))
        index_s = time.perf_counter() - t0
        with Engine(workdir, cache_size=0).session() as view:
            return run_eval(dataset, project_ranker(view)).to_dict(), index_s
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run_project_cli(dataset):
    exe = shutil.which("searchsvc")
    if exe is None:
        return None, "not available yet"
    try:
        proc = subprocess.run(
            [exe, "eval", "--json", str(dataset.path)],
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, f"not available yet ({e})"
    if proc.returncode != 0:
        return None, "not available yet"
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return None, "not available yet (eval --json printed no JSON)"
    return report, report.get("index_seconds")


def fmt(x, spec):
    return "-" if x is None else format(x, spec)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of the data sets")
    ap.add_argument("--sets", default=",".join(SETS), help="comma list of " + ",".join(SETS))
    ap.add_argument(
        "--engines", default=",".join(ENGINES), help="comma list of " + ",".join(ENGINES)
    )
    ap.add_argument("--split", default="test", help="qrels split (default: test = qrels.tsv)")
    ap.add_argument("--json", type=Path, help="also write all results to this JSON file")
    args = ap.parse_args(argv)

    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    for s in sets:
        if s not in SETS:
            ap.error(f"unknown set {s!r}; choose from {', '.join(SETS)}")
    for e in engines:
        if e not in ENGINES:
            ap.error(f"unknown engine {e!r}; choose from {', '.join(ENGINES)}")
    if not args.data.is_dir():
        print(f"data folder {args.data} not found; pass --data DIR", file=sys.stderr)
        return 2

    header = (
        f"{'set':<8} {'engine':<12} {'nDCG@10':>8} {'R@100':>7} {'MRR@10':>7} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'index s':>8}"
    )
    print(header)
    print("-" * len(header))
    results = []
    for s in sets:
        folder = args.data / SETS[s]
        try:
            dataset = load_dataset(folder, split=args.split)
        except DatasetError as e:
            print(f"{s:<8} skipped: {e}")
            continue
        for e in engines:
            if e == PROJECT:
                report, index_s = run_project(dataset)
                if report is None:
                    print(f"{s:<8} {e:<12} searchsvc: {index_s}")
                    continue
            else:
                report, index_s = run_peer(e, dataset)
            results.append({"set": s, "engine": e, "index_seconds": index_s, **report})
            print(
                f"{s:<8} {e:<12} {report['ndcg_at_10']:>8.3f} {report['recall_at_100']:>7.3f} "
                f"{report['mrr_at_10']:>7.3f} {fmt(report.get('p50_ms'), '8.2f')} "
                f"{fmt(report.get('p99_ms'), '8.2f')} {fmt(index_s, '8.2f')}",
                flush=True,
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

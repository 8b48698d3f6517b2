"""Query latency on beir-scifact: searchsvc's search function and API against naive Whoosh and FTS5.

    python benchmarks/latency.py [--data DIR] [--index-dir DIR] [--rounds 3]
                                 [--engines search,http,whoosh,fts5] [--server gunicorn|werkzeug]
                                 [--json FILE]

The index is built with the project's real indexing code (``build_from_articles`` over
``documents_as_articles(load_dataset(beir-scifact))``) into a fresh folder, or reused from
``--index-dir`` when that folder already holds one. Two query sets: "long" = the 150 DEV claims
as written; "short" = each claim cut to its 3 (every other one: 2) rarest words by document
frequency. Every engine answers every query once untimed (warm-up: files, caches and
postings loaded), then ``--rounds`` timed passes; p50/p99 are over all timed calls.

Engines, one process, same machine, same index folder where it applies:

- ``search``: ``searchsvc.search.search(view, q, per_page=10)`` (an ``Engine``'s view)
  with snippets and facets on and the result cache off. Its untimed first pass is also
  reported as "first pass" (term vectors read from Whoosh on first use).
- ``http``: ``GET /api/search?q=..&per_page=10`` over real HTTP on 127.0.0.1 with one
  keep-alive connection, to ``gunicorn -w 1 --threads 2 'searchsvc.web:create_app()'`` in a
  subprocess (or ``--server werkzeug``: werkzeug's threaded server in this process), with
  ``SEARCHSVC_CACHE_SIZE=0``; ``GET /healthz`` is timed the same way as the HTTP floor.
- ``whoosh``: naive Whoosh on the same generation folder: per query a fresh
  ``MultifieldParser(["title", "body"], schema, group=OrGroup)`` (characters the parser reads
  as syntax replaced by spaces, lower-cased), ``searcher.search(q, limit=10)`` with Whoosh's
  default BM25F, and ``hit.highlights("body", text=hit["text"])``; one searcher reused.
  This is the baseline every ratio is taken against.
- ``fts5``: SQLite FTS5 (``tokenize='porter unicode61'``, in memory) over the same docs: the
  OR of the query's quoted words, ``ORDER BY bm25(fts) LIMIT 10``, ``snippet()`` on the text.

nDCG@10 (``searchsvc.evaluate.ndcg_at_k``, qrels.tsv, article id = doc id) is reported for
each engine so speed is not bought with ranking. Targets for the search function: long p50
<= 8 ms and p99 <= 30 ms, short p50 <= 3 ms.
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C

ENGINES = ("search", "http", "whoosh", "fts5")
TARGETS = {("search", "long"): (8.0, 30.0), ("search", "short"): (3.0, None)}
_SYNTAX = re.compile(r"[^\w\s]+")


def one_pass(fn, queries) -> tuple[list[float], list]:
    """Call ``fn`` on every query in order: (ms per call, its ranked ids)."""
    times, ids = [], []
    for q in queries:
        t0 = time.perf_counter()
        ranked = fn(q)
        times.append((time.perf_counter() - t0) * 1000)
        ids.append(ranked)
    return times, ids


# --- engines ---------------------------------------------------------------------------------


def search_engine(index_dir: Path):
    from searchsvc.search import search
    from searchsvc.session import Engine

    session = Engine(index_dir, cache_size=0).session()
    view = session.refresh()

    def run(q: str) -> list[str]:
        result = search(view, q, per_page=10, facets=True, snippets=True)
        return [r.article_id for r in result.results]

    return run, session.close


def whoosh_engine(index_dir: Path):
    from whoosh import index as whoosh_index
    from whoosh.qparser import MultifieldParser, OrGroup

    from searchsvc.index import current_generation

    ix = whoosh_index.open_dir(str(current_generation(index_dir)))
    searcher = ix.searcher()

    def run(q: str) -> list[str]:
        parser = MultifieldParser(["title", "body"], ix.schema, group=OrGroup)
        query = parser.parse(_SYNTAX.sub(" ", q).lower())
        results = searcher.search(query, limit=10)
        ids = []
        for hit in results:
            hit.highlights("body", text=hit["text"])
            ids.append(hit["article_id"])
        return ids

    return run, searcher.close


def fts5_engine(dataset):
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.execute(
        "CREATE VIRTUAL TABLE fts USING fts5("
        "doc_id UNINDEXED, title, text, tokenize='porter unicode61')"
    )
    started = time.perf_counter()
    with db:
        db.executemany(
            "INSERT INTO fts (doc_id, title, text) VALUES (?, ?, ?)",
            ((d.id, d.title, d.text) for d in dataset.docs),
        )
    build = time.perf_counter() - started
    sql = (
        "SELECT doc_id, title, snippet(fts, 2, '<mark>', '</mark>', '…', 32) FROM fts "
        "WHERE fts MATCH ? ORDER BY bm25(fts) LIMIT 10"
    )

    def run(q: str) -> list[str]:
        words = ['"' + w + '"' for w in re.findall(r"\w+", q.lower())]
        if not words:
            return []
        return [row[0] for row in db.execute(sql, (" OR ".join(words),))]

    return run, db.close, build


class HttpEngine:
    """The app on 127.0.0.1 and one keep-alive client; ``run`` is ``GET /api/search``."""

    def __init__(self, index_dir: Path, server: str) -> None:
        self.server, self._stack = server, None
        if server == "gunicorn":
            self._cm = C.gunicorn(index_dir, workers=1, threads=2, cache_size=0)
            self.port, _ = self._cm.__enter__()
            self.label = "gunicorn -w 1 --threads 2 (subprocess)"
        else:
            from werkzeug.serving import make_server

            from searchsvc.web import create_app

            app = create_app({"INDEX_DIR": str(index_dir), "CACHE_SIZE": 0})
            self._srv = make_server("127.0.0.1", 0, app, threaded=True)
            self.port = self._srv.server_port
            threading.Thread(target=self._srv.serve_forever, daemon=True).start()
            C.wait_ready(self.port)
            self.label = "werkzeug threaded server (in process)"
        self.client = C.Client(self.port)

    def run(self, q: str) -> list[str]:
        import json

        status, body = self.client.get("/api/search?" + urlencode({"q": q, "per_page": 10}))
        if status != 200:
            raise RuntimeError(f"HTTP {status} for {q!r}: {body[:200]!r}")
        return [r["article_id"] for r in json.loads(body)["results"]]

    def healthz(self, _q: str) -> list[str]:
        status, _ = self.client.get("/healthz")
        if status != 200:
            raise RuntimeError(f"/healthz answered {status}")
        return []

    def close(self) -> None:
        self.client.close()
        if self.server == "gunicorn":
            self._cm.__exit__(None, None, None)
        else:
            self._srv.shutdown()


# --- main ------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", help="folder holding beir-scifact/ (default ../shared/data)")
    ap.add_argument("--index-dir", type=Path, help="reuse the index here (built there if missing)")
    ap.add_argument("--rounds", type=int, default=3, help="timed passes per query set")
    ap.add_argument("--engines", default=",".join(ENGINES), help="subset of " + ",".join(ENGINES))
    ap.add_argument("--server", choices=("gunicorn", "werkzeug"), default="gunicorn")
    ap.add_argument("--json", type=Path, default=C.OUT_ROOT / "latency.json")
    args = ap.parse_args()
    engines = [e for e in args.engines.split(",") if e]
    if unknown := set(engines) - set(ENGINES):
        ap.error(f"unknown engines: {', '.join(sorted(unknown))}")
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")

    from searchsvc.evaluate import ndcg_at_k

    print(C.machine())
    if note := C.load_note():
        print(note)
    watch = C.CpuWatch()
    dataset, index_dir, qids, long_q, short_q = C.scifact_setup(
        args.data, args.index_dir, "latency-index"
    )
    sets = {"long": long_q, "short": short_q}
    print(
        f"queries: {len(long_q)} long (mean {sum(len(q.split()) for q in long_q) / len(long_q):.1f}"
        f" words), {len(short_q)} short (mean "
        f"{sum(len(q.split()) for q in short_q) / len(short_q):.1f} words), e.g. "
        f"{long_q[0]!r} -> {short_q[0]!r}"
    )
    print(f"each query: 1 untimed warm-up pass, then {args.rounds} timed passes\n")

    def ndcg(ids_per_query) -> float:
        scores = [
            ndcg_at_k(ids, dataset.qrels[qid], 10)
            for qid, ids in zip(qids, ids_per_query, strict=True)
        ]
        return sum(scores) / len(scores)

    rows: list[dict] = []

    def record(engine, label, qset, first, times, ids):
        row = {
            "engine": engine,
            "label": label,
            "queries": qset,
            "n": len(times),
            "p50_ms": C.pct(times, 50),
            "p99_ms": C.pct(times, 99),
            "mean_ms": sum(times) / len(times),
            "first_pass_p50_ms": C.pct(first, 50) if first else None,
            "first_pass_p99_ms": C.pct(first, 99) if first else None,
            "ndcg_at_10": ndcg(ids) if ids and any(ids) else None,
        }
        rows.append(row)

    notes: dict[str, object] = {}
    runners: list[tuple[str, str, object]] = []  # (engine, label, callable)
    closers = []
    try:
        for engine in engines:
            if engine == "search":
                run, close = search_engine(index_dir)
                runners.append((engine, "search() cache off, snippets+facets", run))
            elif engine == "whoosh":
                run, close = whoosh_engine(index_dir)
                runners.append((engine, "naive Whoosh parser+search+highlights", run))
            elif engine == "fts5":
                run, close, build = fts5_engine(dataset)
                runners.append((engine, "SQLite FTS5 bm25()+snippet()", run))
                notes["fts5_build_s"] = round(build, 2)
            else:
                http = HttpEngine(index_dir, args.server)
                close = http.close
                notes["http_server"] = http.label
                runners.append(("http-healthz", "GET /healthz (HTTP floor)", http.healthz))
                runners.append((engine, "GET /api/search (HTTP)", http.run))
            closers.append(close)
        # One untimed pass each, then the timed passes interleaved round by round, so load
        # from other processes on the machine falls on every engine alike.
        first: dict[tuple[str, str], list[float]] = {}
        times: dict[tuple[str, str], list[float]] = {}
        ids: dict[tuple[str, str], list] = {}
        for rnd in range(args.rounds + 1):
            for engine, _label, run in runners:
                for qset, queries in sets.items():
                    if engine == "http-healthz" and qset != "short":
                        continue
                    t, i = one_pass(run, queries)
                    key = (engine, qset)
                    if rnd == 0:
                        first[key] = t
                    else:
                        times.setdefault(key, []).extend(t)
                        ids[key] = i
            print(
                f"  pass {rnd}/{args.rounds} done" + (" (warm-up)" if rnd == 0 else ""), flush=True
            )
    finally:
        for close in closers:
            close()
    for engine, label, _run in runners:
        for qset in sets:
            key = (engine, qset)
            if key in times:
                record(
                    engine,
                    label,
                    "-" if engine == "http-healthz" else qset,
                    first[key] if engine == "search" else [],
                    times[key],
                    ids[key],
                )

    base = {r["queries"]: r for r in rows if r["engine"] == "whoosh"}
    table = []
    for r in rows:
        b = base.get(r["queries"])
        target = TARGETS.get((r["engine"], r["queries"]))
        verdict = ""
        if target:
            p50_t, p99_t = target
            ok = r["p50_ms"] <= p50_t and (p99_t is None or r["p99_ms"] <= p99_t)
            verdict = f"p50<={p50_t:g}" + (f", p99<={p99_t:g}" if p99_t else "")
            verdict += ": " + ("PASS" if ok else "FAIL")
        table.append(
            [
                r["label"],
                r["queries"],
                C.fmt_ms(r["p50_ms"]),
                C.fmt_ms(r["p99_ms"]),
                C.ratio(r["p50_ms"], b["p50_ms"]) if b else "-",
                C.ratio(r["p99_ms"], b["p99_ms"]) if b else "-",
                f"{r['ndcg_at_10']:.3f}" if r["ndcg_at_10"] is not None else "-",
                verdict,
            ]
        )
        if r["first_pass_p50_ms"] is not None:
            table.append(
                [
                    "  first pass (term vectors cold)",
                    r["queries"],
                    C.fmt_ms(r["first_pass_p50_ms"]),
                    C.fmt_ms(r["first_pass_p99_ms"]),
                    C.ratio(r["first_pass_p50_ms"], b["p50_ms"]) if b else "-",
                    C.ratio(r["first_pass_p99_ms"], b["p99_ms"]) if b else "-",
                    "",
                    "",
                ]
            )
    print()
    C.print_table(
        [
            "engine",
            "queries",
            "p50 ms",
            "p99 ms",
            "p50 vs whoosh",
            "p99 vs whoosh",
            "nDCG@10",
            "target",
        ],
        table,
        title=f"latency on beir-scifact ({len(dataset.docs)} docs), warm, "
        f"{args.rounds} timed passes x {len(long_q)} queries per row",
    )
    for k, v in notes.items():
        print(f"{k}: {v}")
    cpu_note = watch.summary()
    print(cpu_note)
    C.write_json(args.json, {"machine": C.machine(), "cpu": cpu_note, "notes": notes, "rows": rows})


if __name__ == "__main__":
    main()

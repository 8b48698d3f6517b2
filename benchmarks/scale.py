"""How query latency, index size and first-query time grow with the number of sections.

    python benchmarks/scale.py [--data DIR] [--sizes 10000,100000,1000000] [--large]
                               [--rounds 2] [--reuse] [--seed 0] [--json FILE]

For each size N (sections), N/5 articles are generated in memory (no HTML) from beir-scifact:
article k takes scifact document k's title (with a title variant once the 5,183 titles are
used up) and a topic out of 8; its 3-7 sections (5 on average) each take a run of 2-4
consecutive sentences of one scifact abstract (the lead from the article's own document, the
others from documents picked at random), under a heading made from the section's words. The
index is built with the project's ``build_from_articles`` into
/tmp/searchsvc-bench/scale/sections-N (``--reuse`` keeps one built earlier with the same seed).

Per size: build time, index size on disk, a cold start measured in a fresh process (open the
index = ``Session.refresh()``, which loads the generation's numpy arrays; then the first and
second query, whose term vectors are read from Whoosh), and warm p50/p99 of
``search(Session(index_dir, cache_size=0), q, per_page=10)`` with snippets and facets over the
150 long DEV claims and the same claims cut to their 2-3 rarest words (one untimed pass, then
``--rounds`` timed ones). Ratios are against the smallest size of the run.

1M sections takes long to build on 2 cores: when the largest size would need more than about
10 minutes (estimated from the sizes built before it), it is skipped with the estimate unless
``--large`` is given.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C
import gen_corpus

GENERATOR_VERSION = 1
LARGE_SECONDS = 600
TARGETS = {"long": (8.0, 30.0), "short": (3.0, None)}


def articles_for(docs, sections: int, seed: int) -> Iterator:
    """Articles (about 5 sections each) adding up to exactly ``sections`` sections."""
    from searchsvc.extract import Article, Section
    from searchsvc.text import slugify

    d = len(docs)
    made, k = 0, 0
    while made < sections:
        rng = random.Random(f"{seed}:{k}:scale")
        primary = k % d
        title = docs[primary][0]
        if k >= d:
            title = rng.choice(gen_corpus._TITLE_VARIANTS).format(t=title)
        topic = gen_corpus.TOPIC_SLUGS[zlib.crc32(f"{seed}:{primary}".encode()) % 8]
        n = min(rng.randint(3, 7), sections - made)
        secs, anchors = [], set()
        for j in range(n):
            sentences = docs[primary if j == 0 else rng.randrange(d)][2]
            run = rng.randint(2, 4)
            start = 0 if j == 0 else rng.randrange(max(1, len(sentences) - run + 1))
            text = " ".join(sentences[start : start + run])
            heading = "" if j == 0 else gen_corpus._heading(text, rng)
            anchor = slugify(heading)
            while anchor in anchors:
                anchor += "-2"
            anchors.add(anchor)
            secs.append(Section(heading=heading, anchor=anchor, text=text))
        slug = f"{slugify(title)[:60].rstrip('-')}-{k}"
        yield Article(
            id=f"{topic}/{slug}",
            url=f"{gen_corpus.BASE}/{topic}/{slug}",
            title=title,
            topic=topic,
            published=f"20{15 + k % 11}-{1 + k % 12:02d}-{1 + k % 28:02d}T08:00:00Z",
            sections=secs,
        )
        made += n
        k += 1


def build(index_dir: Path, docs, sections: int, seed: int, reuse: bool) -> dict:
    from searchsvc.index import build_from_articles, current_generation

    meta_file = index_dir / "scale-meta.json"
    if reuse and meta_file.is_file() and C.has_index(index_dir):
        meta = json.loads(meta_file.read_text())
        if meta.get("seed") == seed and meta.get("generator") == GENERATOR_VERSION:
            meta["reused"] = True
            return meta
    shutil.rmtree(index_dir, ignore_errors=True)
    index_dir.mkdir(parents=True)
    started = time.perf_counter()
    report = build_from_articles(index_dir, articles_for(docs, sections, seed))
    seconds = time.perf_counter() - started
    meta = {
        "sections": report.sections,
        "articles": report.articles,
        "build_seconds": seconds,
        "bytes": C.dir_bytes(current_generation(index_dir)),
        "seed": seed,
        "generator": GENERATOR_VERSION,
        "built": C.machine(),
    }
    meta_file.write_text(json.dumps(meta) + "\n")
    meta["reused"] = False
    return meta


def cold_probe(index_dir: str, queries_file: str) -> None:
    """Run in a fresh process: open the index, time the first queries, print JSON."""
    t0 = time.perf_counter()
    from searchsvc.search import Session, search

    imported = time.perf_counter()
    queries = json.loads(Path(queries_file).read_text())
    session = Session(index_dir, cache_size=0)
    session.refresh()
    opened = time.perf_counter()
    search(session, queries[0], per_page=10)
    first = time.perf_counter()
    search(session, queries[1], per_page=10)
    second = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "import_ms": (imported - t0) * 1000,
                "open_ms": (opened - imported) * 1000,
                "first_ms": (first - opened) * 1000,
                "second_ms": (second - first) * 1000,
                "rss_mb": rss,
            }
        )
    )


def cold(index_dir: Path, queries: list[str]) -> dict:
    qfile = index_dir / "probe-queries.json"
    qfile.write_text(json.dumps(queries[:2]))
    out = subprocess.run(
        [sys.executable, __file__, "--cold-probe", str(index_dir), str(qfile)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if out.returncode != 0:
        sys.exit(f"error: cold probe failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def warm(index_dir: Path, sets: dict[str, list[str]], rounds: int) -> dict:
    from searchsvc.search import Session, search

    out = {}
    session = Session(index_dir, cache_size=0)
    try:
        for name, queries in sets.items():
            first = []
            for q in queries:
                t0 = time.perf_counter()
                search(session, q, per_page=10)
                first.append((time.perf_counter() - t0) * 1000)
            times = []
            for _ in range(rounds):
                for q in queries:
                    t0 = time.perf_counter()
                    search(session, q, per_page=10)
                    times.append((time.perf_counter() - t0) * 1000)
            out[name] = {
                "p50_ms": C.pct(times, 50),
                "p99_ms": C.pct(times, 99),
                "first_pass_p50_ms": C.pct(first, 50),
                "first_pass_p99_ms": C.pct(first, 99),
            }
    finally:
        session.close()
    return out


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--cold-probe":
        cold_probe(sys.argv[2], sys.argv[3])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", help="folder holding beir-scifact/ (default ../shared/data)")
    ap.add_argument("--sizes", default="10000,100000,1000000", help="sections per index")
    ap.add_argument("--large", action="store_true", help="build sizes estimated over 10 min too")
    ap.add_argument("--rounds", type=int, default=2, help="timed passes per query set")
    ap.add_argument("--reuse", action="store_true", help="reuse indexes built by an earlier run")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, default=C.OUT_ROOT / "scale.json")
    args = ap.parse_args()
    try:
        sizes = sorted({int(s) for s in args.sizes.split(",") if s})
        assert sizes and sizes[0] >= 100
    except (ValueError, AssertionError):
        ap.error("--sizes takes section counts >= 100, comma-separated")

    print(C.machine())
    watch = C.CpuWatch()
    if note := C.load_note():
        print(note)
    dataset = C.load_scifact(args.data)
    _, long_q = zip(*C.query_list(dataset), strict=True)
    sets = {
        "long": list(long_q),
        "short": C.short_queries(long_q, C.document_frequencies(dataset.docs)),
    }
    docs = gen_corpus.load_docs(args.data)
    root = C.OUT_ROOT / "scale"
    results, skipped = [], []
    for size in sizes:
        if results and not args.large:
            last = results[-1]
            rate = last["sections"] / last["build_seconds"]
            estimate = size / rate
            index_dir = root / f"sections-{size}"
            cached = (
                args.reuse
                and (index_dir / "scale-meta.json").is_file()
                and C.has_index(index_dir)  # one of an older index format is rebuilt
            )
            if estimate > LARGE_SECONDS and not cached:
                msg = (
                    f"{size} sections: skipped, building it would take about {estimate / 60:.0f} "
                    f"min at the {rate:.0f} sections/s of the {last['sections']} build "
                    f"(likely more: merges grow with size); run with --large to build it"
                )
                print(msg)
                skipped.append({"sections": size, "estimated_build_seconds": estimate})
                continue
        index_dir = root / f"sections-{size}"
        print(f"{size} sections: building {index_dir} ...", flush=True)
        meta = build(index_dir, docs, size, args.seed, args.reuse)
        how = "reused" if meta["reused"] else "built"
        print(
            f"  {how}: {meta['articles']} articles, {meta['sections']} sections, "
            f"{meta['build_seconds']:.0f}s, {meta['bytes'] / 1e6:.0f} MB",
            flush=True,
        )
        c = cold(index_dir, sets["long"])
        print(
            f"  cold: open {c['open_ms']:.0f} ms, first query {c['first_ms']:.0f} ms, "
            f"second {c['second_ms']:.0f} ms",
            flush=True,
        )
        w = warm(index_dir, sets, args.rounds)
        for name, r in w.items():
            print(f"  warm {name}: p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms", flush=True)
        results.append({**meta, "size": size, "cold": c, "warm": w})

    base = results[0]
    rows = []
    for r in results:
        rows.append(
            [
                r["sections"],
                r["articles"],
                f"{r['build_seconds']:.0f}" + (" (reused)" if r["reused"] else ""),
                f"{r['sections'] / r['build_seconds']:.0f}",
                f"{r['bytes'] / 1e6:.0f}",
                f"{r['cold']['open_ms']:.0f}",
                f"{r['cold']['first_ms']:.0f}",
                f"{r['cold']['second_ms']:.0f}",
                f"{r['cold']['rss_mb']:.0f}",
            ]
        )
    print()
    C.print_table(
        ["sections", "articles", "build s", "sections/s", "index MB", "open ms",
         "1st query ms", "2nd query ms", "RSS MB"],
        rows,
        title="scale: build, size and cold start (fresh process, OS file cache warm)",
    )  # fmt: skip
    rows = []
    for r in results:
        for name in ("long", "short"):
            w, b = r["warm"][name], base["warm"][name]
            p50_t, p99_t = TARGETS[name]
            ok = w["p50_ms"] <= p50_t and (p99_t is None or w["p99_ms"] <= p99_t)
            rows.append(
                [
                    r["sections"],
                    name,
                    C.fmt_ms(w["p50_ms"]),
                    C.fmt_ms(w["p99_ms"]),
                    C.ratio(w["p50_ms"], b["p50_ms"]),
                    C.ratio(w["p99_ms"], b["p99_ms"]),
                    C.fmt_ms(w["first_pass_p50_ms"]),
                    C.fmt_ms(w["first_pass_p99_ms"]),
                    f"p50<={p50_t:g}"
                    + (f", p99<={p99_t:g}" if p99_t else "")
                    + (": PASS" if ok else ": FAIL"),
                ]
            )
    print()
    C.print_table(
        ["sections", "queries", "p50 ms", "p99 ms", f"p50 vs {base['sections']}",
         f"p99 vs {base['sections']}", "1st pass p50", "1st pass p99", "target"],
        rows,
        title=f"scale: search() warm, cache off, snippets+facets, {args.rounds} timed passes "
        "x 150 queries (1st pass = untimed warm-up, term vectors cold)",
    )  # fmt: skip
    for s in skipped:
        print(
            f"not run: {s['sections']} sections (about {s['estimated_build_seconds'] / 60:.0f} "
            "min to build): python benchmarks/scale.py --sizes "
            f"{s['sections']} --large"
        )
    cpu_note = watch.summary()
    print(cpu_note)
    C.write_json(
        args.json, {"machine": C.machine(), "cpu": cpu_note, "results": results, "skipped": skipped}
    )


if __name__ == "__main__":
    main()

"""What a server worker costs in memory, and whether its page-table-free pages stay O(1).

    python benchmarks/memory.py [--pages 200000] [--threads 4] [--reuse] [--json FILE]

Builds an index of ``--pages`` generated articles (one or two short sections each, made in
memory, no HTML) with the project's ``build_from_articles`` into
/tmp/searchsvc-bench/memory/pages-N, serves it with ``gunicorn -w 1 --threads T``, and from T
client threads at once requests ``/api/stats``, ``/api/topics``, the empty search page ``/`` and
one search, so every server thread has opened its own session. It prints the worker's RSS
(from /proc) before and after, and the median time of each endpoint; the baseline for the times
is ``/healthz`` in the same run. Run it from two checkouts to compare code versions.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C

TOPICS = ("medicines", "conditions", "nutrition", "sleep", "fitness", "wellbeing", "treatments")
WORDS = (
    "pain relief sleep caffeine diet iron vitamin heart blood pressure exercise stretch muscle "
    "anxiety stress therapy dose tablet fever infection recovery walking breathing"
).split()


def articles(n: int):
    from searchsvc.extract import Article, Section

    for k in range(n):
        topic = TOPICS[k % len(TOPICS)]
        words = [WORDS[(k * 7 + j * 3) % len(WORDS)] for j in range(24)]
        sections = [Section(heading="", anchor="", text=" ".join(words) + f" page{k}")]
        if k % 2:
            sections.append(Section(heading="More", anchor="more", text=" ".join(words[::-1])))
        yield Article(
            id=f"{topic}/page-{k}",
            url=f"https://site.example/{topic}/page-{k}",
            title=f"Generated page {k} about {words[0]}",
            topic=topic,
            published="2024-01-01",
            sections=sections,
        )


def build(index_dir: Path, pages: int, reuse: bool) -> float:
    from searchsvc.index import build_from_articles

    if reuse and C.has_index(index_dir):
        return 0.0
    shutil.rmtree(index_dir, ignore_errors=True)
    index_dir.mkdir(parents=True)
    started = time.perf_counter()
    build_from_articles(index_dir, articles(pages))
    return time.perf_counter() - started


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def worker_pid(master: int) -> int:
    with open(f"/proc/{master}/task/{master}/children") as f:
        return int(f.read().split()[0])


def timed(port: int, path: str, rounds: int) -> float:
    client = C.Client(port)
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        status, _ = client.get(path)
        times.append((time.perf_counter() - t0) * 1000)
        assert status == 200, (path, status)
    client.close()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=200_000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="keep an index built earlier")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    print(C.machine())
    index_dir = C.OUT_ROOT / "memory" / f"pages-{args.pages}"
    secs = build(index_dir, args.pages, args.reuse)
    print(f"index {index_dir}: " + (f"built in {secs:.0f}s" if secs else "reused"))
    paths = ["/api/stats", "/api/topics", "/", "/api/search?q=caffeine+sleep"]
    with C.gunicorn(index_dir, workers=1, threads=args.threads) as (port, proc):
        pid = worker_pid(proc.pid)
        idle = rss_mb(pid)
        # Every thread opens its own session: hit all paths from T threads at once.
        barrier = threading.Barrier(args.threads)

        def warm() -> None:
            barrier.wait()
            for path in paths * 3:
                C.Client(port).get(path)

        threads = [threading.Thread(target=warm) for _ in range(args.threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        loaded = rss_mb(pid)
        times = {p: timed(port, p, args.rounds) for p in ["/healthz", *paths]}
    rows = [[p, C.fmt_ms(ms), C.ratio(ms, times["/healthz"])] for p, ms in times.items()]
    C.print_table(["endpoint", "p50 ms", "vs /healthz"], rows, f"{args.pages} pages")
    print(
        f"worker RSS: {idle:.0f} MB after start, {loaded:.0f} MB with {args.threads} threads busy"
    )
    C.write_json(
        args.json,
        {"pages": args.pages, "rss_idle_mb": idle, "rss_mb": loaded, "p50_ms": times},
    )


if __name__ == "__main__":
    main()

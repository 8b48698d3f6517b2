"""Shared helpers for the speed benchmarks (latency, throughput, ingest, scale, gen_corpus).

Nothing here measures anything by itself: finding the data, building the scifact index with the
project's own indexing code, deriving the short query set, percentiles, tables, starting a
gunicorn server on 127.0.0.1 and a small keep-alive HTTP client.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data"
SCIFACT = "beir-scifact"
OUT_ROOT = Path(os.environ.get("SEARCHSVC_BENCH_OUT", "/tmp/searchsvc-bench"))


# --- data ------------------------------------------------------------------------------------


def scifact_dir(data: str | Path | None) -> Path:
    """The beir-scifact folder under ``data`` (default ../shared/data), or exit saying why."""
    root = Path(data) if data else DEFAULT_DATA
    folder = root if (root / "corpus.jsonl.gz").is_file() else root / SCIFACT
    needed = ("corpus.jsonl.gz", "queries.jsonl", "qrels.tsv")
    missing = [name for name in needed if not (folder / name).is_file()]
    if missing:
        sys.stdout.flush()
        sys.exit(
            f"error: beir-scifact data not found: {folder} lacks {', '.join(missing)}.\n"
            f"Pass --data DIR, where DIR holds {SCIFACT}/ (default: {DEFAULT_DATA})."
        )
    return folder


def load_scifact(data: str | Path | None):
    """The beir-scifact Dataset (5,183 docs, 150 judged DEV queries), or exit with a message."""
    from searchsvc.errors import DatasetError
    from searchsvc.evaluate import load_dataset

    try:
        return load_dataset(scifact_dir(data))
    except DatasetError as exc:
        sys.stdout.flush()
        sys.exit(f"error: {exc}")


def query_list(dataset) -> list[tuple[str, str]]:
    """(query id, text) of the judged queries, in numeric id order."""
    return sorted(dataset.queries.items(), key=lambda kv: (len(kv[0]), kv[0]))


_WORD = re.compile(r"\w+(?:[.']\w+)*")


def document_frequencies(docs: Iterable) -> Counter:
    """Index term -> number of documents (title + text) containing it, with searchsvc's analysis."""
    from searchsvc.ranking import terms

    df: Counter = Counter()
    for doc in docs:
        df.update(set(terms(f"{doc.title}\n{doc.text}")))
    return df


def short_query(text: str, df: Counter, n: int) -> str:
    """The ``n`` words of ``text`` that are rarest in the corpus (df >= 1), in typed order.

    Stop words and words absent from the corpus are skipped; a word is judged by its rarest term.
    """
    from searchsvc.ranking import terms

    scored, seen = [], set()
    for pos, m in enumerate(_WORD.finditer(text)):
        word = m.group()
        word_terms = [t for t in terms(word) if df.get(t, 0) > 0]
        if not word_terms or word_terms[0] in seen:
            continue
        seen.add(word_terms[0])
        scored.append((min(df[t] for t in word_terms), pos, word))
    chosen = sorted(scored)[:n]
    return " ".join(w for _, _, w in sorted(chosen, key=lambda x: x[1])) or text


def short_queries(queries: Sequence[str], df: Counter) -> list[str]:
    """Each query cut to its 3 rarest words (every other query: 2), so the set mixes both."""
    return [short_query(q, df, 3 if i % 2 == 0 else 2) for i, q in enumerate(queries)]


# --- indexes ---------------------------------------------------------------------------------


def has_index(index_dir: Path) -> bool:
    from searchsvc.errors import IndexUnavailable
    from searchsvc.index import open_generation

    try:
        open_generation(index_dir)
    except IndexUnavailable:
        return False
    return True


def scifact_setup(data, index_dir: Path | None, default_name: str):
    """Load scifact, build its index (or reuse ``index_dir`` when given), print which, and
    derive the query sets.

    :return: (dataset, index dir, query ids, long queries, short queries)
    """
    dataset = load_scifact(data)
    folder = index_dir or OUT_ROOT / default_name
    what, secs = build_scifact_index(folder, dataset, reuse=index_dir is not None)
    print(f"index {folder}: {what}" + (f" in {secs:.1f}s" if secs else ""))
    qids, long_q = zip(*query_list(dataset), strict=True)
    short_q = short_queries(long_q, document_frequencies(dataset.docs))
    return dataset, folder, list(qids), list(long_q), short_q


def build_scifact_index(index_dir: Path, dataset, reuse: bool) -> tuple[str, float]:
    """Index beir-scifact with ``build_from_articles`` unless ``reuse`` and an index is there.

    Returns (what happened, seconds).
    """
    from searchsvc.evaluate import documents_as_articles
    from searchsvc.index import build_from_articles

    index_dir = Path(index_dir)
    if reuse and has_index(index_dir):
        return "reused", 0.0
    if index_dir.exists():
        shutil.rmtree(index_dir)
    index_dir.mkdir(parents=True)
    started = time.perf_counter()
    report = build_from_articles(index_dir, documents_as_articles(dataset))
    seconds = time.perf_counter() - started
    return f"built ({report.articles} articles, {report.sections} sections)", seconds


def dir_bytes(path: Path) -> int:
    """Bytes of the regular files below ``path`` (symlinks not followed)."""
    total = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            p = os.path.join(dirpath, name)
            if not os.path.islink(p):
                total += os.path.getsize(p)
    return total


# --- numbers and tables ----------------------------------------------------------------------


def pct(values: Sequence[float], p: float) -> float:
    """The p-th percentile (linear interpolation), NaN for no values."""
    return float(np.percentile(values, p)) if len(values) else float("nan")


def ratio(value: float, base: float) -> str:
    if not base or value != value or base != base:
        return "-"
    return f"{value / base:.2f}x"


def fmt_ms(value: float) -> str:
    if value != value:
        return "-"
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def print_table(headers: Sequence[str], rows: Iterable[Sequence[object]], title: str = "") -> str:
    """Print a plain-text table (first column left-aligned, others right-aligned); return it."""
    rows = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells):
        out = [c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(cells)]
        return "  ".join(out).rstrip()

    text = "\n".join(
        ([title] if title else [])
        + [line(headers), "  ".join("-" * w for w in widths)]
        + [line(r) for r in rows]
    )
    print(text, flush=True)
    return text


def machine() -> str:
    cpu = "?"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for row in f:
            if row.startswith("model name"):
                cpu = row.split(":", 1)[1].strip()
                break
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, nproc={os.cpu_count()}, {cpu}, "
        f"Python {platform.python_version()}, load average {load}, searchsvc {revision()}"
    )


def revision() -> str:
    """The repository's commit, with "+changes" when src/ differs from it."""
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "(no git)"
    return head + ("+changes" if dirty else "")


def load_note() -> str:
    """A warning when other processes are busy: every timing here assumes an idle machine."""
    one = os.getloadavg()[0]
    if one > 0.5 * (os.cpu_count() or 1):
        return (
            f"WARNING: 1-minute load average is {one:.1f} on {os.cpu_count()} cores: other "
            "work is running, timings will be noisy"
        )
    return ""


class CpuWatch:
    """How much CPU other processes took while this run went: the caveat on every timing.

    Compares the machine's busy time (/proc/stat) with this process's and its reaped
    children's CPU time; children still running at ``summary()`` are not counted as ours.
    """

    def __init__(self) -> None:
        self.start = self._sample()

    @staticmethod
    def _sample() -> tuple[float, float, float]:
        tick = os.sysconf("SC_CLK_TCK")
        with open("/proc/stat") as f:
            values = [int(x) for x in f.readline().split()[1:]]
        busy = (sum(values) - values[3] - values[4]) / tick  # all but idle and iowait
        mine = sum(
            r.ru_utime + r.ru_stime
            for r in (
                resource.getrusage(resource.RUSAGE_SELF),
                resource.getrusage(resource.RUSAGE_CHILDREN),
            )
        )
        return time.monotonic(), busy, mine

    def summary(self) -> str:
        t0, busy0, mine0 = self.start
        t1, busy1, mine1 = self._sample()
        wall = max(t1 - t0, 1e-9)
        others = max(0.0, (busy1 - busy0) - (mine1 - mine0)) / wall
        mine = (mine1 - mine0) / wall
        return (
            f"CPU during this run ({wall:.0f}s): this benchmark {mine:.2f} cores, other "
            f"processes {others:.2f} of {os.cpu_count()} cores"
            + ("  <- shared machine: wall-clock numbers are inflated" if others > 0.3 else "")
        )


def write_json(path: Path | None, data: dict) -> None:
    if path is None:
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
    print(f"wrote {path}")


# --- servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, path: str = "/healthz", timeout: float = 60.0, proc=None) -> None:
    """Wait until GET ``path`` answers 200 on 127.0.0.1:``port``."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before answering")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            conn.close()
            if resp.status == 200:
                return
            last = f"HTTP {resp.status}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.1)
    raise RuntimeError(f"server on port {port} not ready after {timeout:.0f}s: {last}")


@contextlib.contextmanager
def gunicorn(
    index_dir: Path, workers: int, threads: int, cache_size: int | None = None, log=None
) -> Iterator[tuple[int, subprocess.Popen]]:
    """Run ``gunicorn -w W --threads T 'searchsvc.web:create_app()'`` on 127.0.0.1:<free port>.

    Yields (port, process); stops it with SIGTERM (then SIGKILL) on exit.
    """
    port = free_port()
    env = dict(os.environ, SEARCHSVC_INDEX_DIR=str(index_dir))
    if cache_size is not None:
        env["SEARCHSVC_CACHE_SIZE"] = str(cache_size)
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        str(workers),
        "--threads",
        str(threads),
        "-b",
        f"127.0.0.1:{port}",
        "--backlog",
        "256",
        "--log-level",
        "warning",
        "searchsvc.web:create_app()",
    ]
    proc = subprocess.Popen(
        cmd, env=env, stdout=log or subprocess.DEVNULL, stderr=log or subprocess.DEVNULL
    )
    try:
        wait_ready(port, proc=proc)
        yield port, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by process ``pid`` and its live children."""
    tick = os.sysconf("SC_CLK_TCK")
    pids, total = {pid}, 0.0
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/children") as f:
                pids.update(int(x) for x in f.read().split())
    for p in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


class Client:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1 that reconnects when the server closes."""

    def __init__(self, port: int, timeout: float = 30.0) -> None:
        self.port, self.timeout = port, timeout
        self.conn: http.client.HTTPConnection | None = None

    def get(self, path: str) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.request("GET", path)
                resp = self.conn.getresponse()
                body = resp.read()
                if resp.will_close:
                    self.close()
                return resp.status, body
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()  # a kept-alive connection the server dropped: retry once, fresh
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.conn = None

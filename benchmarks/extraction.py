"""Measure article extraction against two public benchmarks.

Usage: ``python benchmarks/extraction.py [--data DIR] [--worst]``

* ``zyte-article-extraction-benchmark``: ``html/*.html.gz`` pages with a plain-text
  ``articleBody`` each in ``ground-truth.json``. Metric as in that benchmark's ``evaluate.py``
  (see its SOURCE.md): ``\\w+`` tokens, multisets of word 4-gram shingles, per-page
  tp/fp/fn normalised to sum 1, precision and recall averaged over pages, F1 of the two
  averages; "accuracy" is the share of pages whose token lists match exactly.
* ``readability-test-pages``: ``*/source.html`` against the visible text of
  ``*/expected.html`` (Readability.js output), same shingle metric.

The text compared is ``Article.text`` (section headings and text) *without* the title: the zyte
``articleBody`` and Readability's output both leave the headline out, and measuring "title +
text" scores lower on both (the script prints that variant too, for reference).

Articles are obtained the way an admin would: ``python -m searchsvc extract --json FILES...``
(one JSON object per line), so the numbers include the CLI's start-up and file reading.
Data is read in place (default ``../shared/data`` next to the repository) and never copied.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
ZYTE = "zyte-article-extraction-benchmark"
READABILITY = "readability-test-pages"
# Published scores on all 181 zyte pages (F1, precision, recall), from the dataset's SOURCE.md.
PUBLISHED = {
    "beautifulsoup (whole page)": (0.665, 0.499, 0.994),
    "readability-lxml": (0.922, 0.913, 0.931),
    "readability.js": (0.947, 0.914, 0.982),
    "newspaper4k": (0.949, 0.964, 0.934),
    "trafilatura": (0.958, 0.938, 0.978),
}
TOKEN = re.compile(r"\w+")


# --- Metric (re-implemented from the zyte benchmark's evaluate.py) ----------------------------


def shingles(text: str, n: int = 4) -> Counter:
    tokens = TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens)


def tp_fp_fn(true: str, pred: str) -> tuple[float, float, float]:
    t, p = shingles(true), shingles(pred)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fp) if tp + fp else 0.0


def recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fn) if tp + fn else 0.0


def scores(counts: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """(precision, recall, F1) averaged over pages the way the zyte benchmark does."""
    p = statistics.mean(precision(*c) for c in counts if c[0] + c[1] > 0)
    r = statistics.mean(recall(*c) for c in counts if c[0] + c[2] > 0)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


# --- Getting articles --------------------------------------------------------------------------


def child_cpu() -> float:
    """CPU seconds used so far by finished child processes (the CLI runs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_extract(paths: list[Path]) -> tuple[dict[Path, dict], float, float]:
    """extract_all plus its wall-clock and CPU seconds (CPU is immune to a busy machine)."""
    wall, cpu = time.perf_counter(), child_cpu()
    arts = extract_all(paths)
    return arts, time.perf_counter() - wall, child_cpu() - cpu


def extract_all(paths: list[Path]) -> dict[Path, dict]:
    """Path -> article dict (with "text" and "title"), or {"error": ...}, via the CLI."""
    cmd = [sys.executable, "-m", "searchsvc", "extract", "--json", *map(str, paths)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, check=False)
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    if not rows:
        sys.exit(f"`searchsvc extract --json` printed nothing:\n{done.stderr[-2000:]}")
    by_path = {Path(row["path"]).resolve(): row for row in rows}
    return {p: by_path.get(p.resolve(), {"error": "missing from CLI output"}) for p in paths}


def visible_text(html_path: Path) -> str:
    from bs4 import BeautifulSoup

    return BeautifulSoup(html_path.read_bytes(), "lxml").get_text("\n")


# --- Reporting ---------------------------------------------------------------------------------


def evaluate(name: str, pairs: dict[str, tuple[str, dict]], worst: bool) -> dict:
    """pairs: page id -> (expected text, article dict). Prints and returns the scores."""
    variants = {}
    for variant in ("text", "title+text"):
        counts = {}
        for page, (truth, art) in pairs.items():
            pred = art.get("text", "")
            if variant == "title+text" and pred:
                pred = art.get("title", "") + "\n\n" + pred
            counts[page] = tp_fp_fn(truth, pred)
        variants[variant] = counts
    counts = variants["text"]
    p, r, f1 = scores(list(counts.values()))
    exact = statistics.mean(
        TOKEN.findall(t) == TOKEN.findall(a.get("text", "")) for t, a in pairs.values()
    )
    errors = sum(1 for _, a in pairs.values() if "error" in a)
    _, _, f1_title = scores(list(variants["title+text"].values()))
    print(f"{name}: {len(pairs)} pages, {errors} extraction errors")
    print(f"  precision={p:.3f} recall={r:.3f} F1={f1:.3f} exact-token accuracy={exact:.3f}")
    print(f"  (title + text instead of text: F1={f1_title:.3f})")
    if worst:
        print("  worst pages (F1, precision, recall):")
        ranked = sorted(counts.items(), key=lambda kv: _page_f1(kv[1]))[:10]
        for page, c in ranked:
            art = pairs[page][1]
            note = art.get("error") or art.get("url") or art.get("title", "")
            print(f"    {_page_f1(c):.3f} {precision(*c):.3f} {recall(*c):.3f}  {page}  {note}")
    return {"precision": p, "recall": r, "f1": f1}


def _page_f1(c: tuple[float, float, float]) -> float:
    p, r = precision(*c), recall(*c)
    return 2 * p * r / (p + r) if p + r else 0.0


def run_zyte(root: Path, worst: bool) -> tuple[int, float, float]:
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    paths = sorted(root.glob("html/*.html.gz"))
    arts, wall, cpu = timed_extract(paths)
    pairs = {}
    for path in paths:
        page = path.name.split(".")[0]
        pairs[page] = (truth[page]["articleBody"], arts[path])
    evaluate(ZYTE, pairs, worst)
    print("  published (all 181 pages; F1 / precision / recall):")
    for name, (f1, p, r) in PUBLISHED.items():
        print(f"    {name:<28} {f1:.3f} / {p:.3f} / {r:.3f}")
    return len(paths), wall, cpu


def run_readability(root: Path, worst: bool) -> tuple[int, float, float]:
    folders = sorted(d for d in root.iterdir() if (d / "source.html").is_file())
    paths = [d / "source.html" for d in folders]
    arts, wall, cpu = timed_extract(paths)
    pairs = {d.name: (visible_text(d / "expected.html"), arts[d / "source.html"]) for d in folders}
    evaluate(READABILITY, pairs, worst)
    return len(paths), wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with the data sets")
    parser.add_argument("--worst", action="store_true", help="list the 10 worst pages of each set")
    args = parser.parse_args()
    zyte, readability = args.data / ZYTE, args.data / READABILITY
    if not zyte.is_dir() or not readability.is_dir():
        sys.exit(f"benchmark data not found: expected {zyte} and {readability} (use --data DIR)")
    pages, wall, cpu = 0, 0.0, 0.0
    for run, root in ((run_zyte, zyte), (run_readability, readability)):
        n, w, c = run(root, args.worst)
        pages, wall, cpu = pages + n, wall + w, cpu + c
    # One CLI call per data set: subtract two start-ups, timed on a tiny page, for steady rates.
    probe = sorted(readability.glob("*/source.html"), key=lambda p: p.stat().st_size)[0]
    _, startup_wall, startup_cpu = timed_extract([probe])
    print(
        f"speed: {pages / wall:.1f} pages/s wall-clock incl. CLI start-up ({pages} pages in"
        f" {wall:.1f}s); without the {startup_wall:.2f}s start-up:"
        f" {pages / max(wall - 2 * startup_wall, 1e-9):.1f} pages/s wall-clock,"
        f" {pages / max(cpu - 2 * startup_cpu, 1e-9):.1f} pages/s per CPU"
    )


if __name__ == "__main__":
    main()

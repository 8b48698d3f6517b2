"""Long work shows its phases: bars on a terminal, log lines with counts and rates elsewhere."""

from __future__ import annotations

import io
import json
import re

from searchsvc.cli import main
from searchsvc.progress import Reporter

from .conftest import article_html, write_pages

LINE = re.compile(r"^(?P<phase>[A-Z][a-z ]+): ", re.M)


def many_pages(n: int) -> dict[str, str]:
    return {
        f"topic{i % 3}/page{i}.html": article_html(
            f"Page {i}", [("", f"Article number {i} talks about sleep and pain.")]
        )
        for i in range(n)
    }


def test_index_off_a_terminal_logs_counts_per_phase(runner, tmp_path):
    corpus = write_pages(tmp_path / "corpus", many_pages(30))
    args = ["index", str(corpus), "--index-dir", str(tmp_path / "ix"), "--workers", "1"]
    result = runner.invoke(main, args, obj=Reporter(interval=0))
    assert result.exit_code == 0, result.output
    assert "Indexing: 15/30 pages (50%), " in result.stderr
    assert re.search(
        r"^Indexing: 30/30 pages \(100%\), [\d,.]+ pages/s, done in", result.stderr, re.M
    )
    assert [m["phase"] for m in LINE.finditer(result.stderr)][-1] == "Committing"


def test_eval_reports_indexing_then_queries(runner, tmp_path):
    docs = [
        {"_id": f"d{i}", "title": f"Doc {i}", "text": f"caffeine word{i} sleep"} for i in range(8)
    ]
    (tmp_path / "corpus.jsonl").write_text("\n".join(map(json.dumps, docs)))
    queries = [{"_id": f"q{i}", "text": f"word{i}"} for i in range(4)]
    (tmp_path / "queries.jsonl").write_text("\n".join(map(json.dumps, queries)))
    (tmp_path / "qrels.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "".join(f"q{i}\td{i}\t1\n" for i in range(4))
    )
    result = runner.invoke(main, ["eval", str(tmp_path), "--json"], obj=Reporter(interval=0))
    assert result.exit_code == 0, result.output
    phases = list(dict.fromkeys(m["phase"] for m in LINE.finditer(result.stderr)))
    assert phases == ["Indexing documents", "Committing", "Queries"]
    assert "Queries: 4/4 queries (100%)" in result.stderr and json.loads(result.stdout)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_time_left_waits_for_evidence_and_survives_bursts():
    out, clock = io.StringIO(), Clock()
    report = Reporter(out, interval=1, tty=False, clock=clock)
    report("Indexing", 0, 1000)
    clock.now = 1.0
    report("Indexing", 10, 1000)  # a first burst, 1 s in: too early to tell
    clock.now = 4.0
    report("Indexing", 100, 1000)  # 25 pages/s since the phase began
    clock.now = 4.5
    report("Indexing", 600, 1000)  # a burst from the pool: no wild swing
    lines = out.getvalue().splitlines()
    assert lines[0] == "Indexing: 10/1,000 pages (1%), 10 pages/s"
    assert lines[1] == "Indexing: 100/1,000 pages (10%), 25 pages/s, about 36 s left"
    assert len(lines) == 2  # the next line waits for the interval


def test_short_runs_off_a_terminal_are_quiet():
    out, clock = io.StringIO(), Clock()
    report = Reporter(out, interval=5, tty=False, clock=clock)
    for done in range(11):
        report("Indexing", done, 10)
    assert out.getvalue() == ""


def test_a_terminal_gets_one_bar_per_phase():
    out, clock = io.StringIO(), Clock()
    report = Reporter(out, tty=True, clock=clock)
    for done in range(5):
        clock.now += 1
        report("Indexing", done, 4)
    report("Committing", 0, 1)
    report("Committing", 1, 1)
    bars = out.getvalue().split("\n")
    assert bars[0].rsplit("\r", 1)[-1].startswith("Indexing             [########################]")
    assert "4/4 pages (100%)" in bars[0] and bars[1].rsplit("\r", 1)[-1].startswith("Committing")

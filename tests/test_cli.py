"""The searchsvc command, run through click's CliRunner on real files and indexes."""

from __future__ import annotations

import gzip
import json

import pytest
from whoosh.writing import SegmentWriter

from searchsvc import corpus as corpus_module
from searchsvc.cli import main
from searchsvc.index import build as build_module
from searchsvc.index import current_generation, store, writer_lock

from .conftest import PAGES, SEED, article_html, make_index, write_pages


def extract_json(runner, *args):
    result = runner.invoke(main, ["extract", "--json", *map(str, args)])
    return result, [json.loads(line) for line in result.output.splitlines()]


def test_extract_splits_seed_shape_into_sections_without_chrome(runner, tmp_path):
    page = write_pages(tmp_path, {"medicines/diazepam.html": SEED}) / "medicines/diazepam.html"
    result, [doc] = extract_json(runner, page, "--root", tmp_path)
    assert result.exit_code == 0, result.output
    assert [s["heading"] for s in doc["sections"]] == [
        "",
        "Understanding Back Pain",
        "Diazepam and Its Mechanism of Action",
        "Efficacy in Back Pain Management",
    ]
    assert (doc["id"], doc["topic"]) == ("medicines/diazepam", "medicines")
    for chrome in (
        "Also Explore",
        "Quaalude",
        "Leave a Comment",
        "email address",
        "cookies",
        "Copyright",
        "tracking",
        "Related Topics",
    ):
        assert chrome not in doc["text"], chrome


def test_extract_lists_related_links(runner, tmp_path):
    page = write_pages(tmp_path, {"a.html": SEED}) / "a.html"
    _, [doc] = extract_json(runner, page)
    assert [r["title"] for r in doc["related"]] == [
        "How Does Diazepam Work As A Muscle Relaxant",
        "How Does Diazepam Work For Anxiety?",
    ]


def test_extract_reports_bad_file_and_goes_on(runner, tmp_path):
    write_pages(tmp_path, {"bad.html": b"\x00\x01\x02\xff" * 50, "good.html": SEED})
    missing = tmp_path / "missing.html"
    result, docs = extract_json(runner, tmp_path / "bad.html", missing, tmp_path / "good.html")
    assert result.exit_code == 3  # some pages worked, some failed
    assert [d["path"] for d in docs] == [
        str(tmp_path / n) for n in ("bad.html", "missing.html", "good.html")
    ]
    assert docs[0]["error"] and docs[1]["error"] and docs[2]["title"].startswith("How Does")


def test_extract_reads_gzip(runner, tmp_path):
    (tmp_path / "page.html.gz").write_bytes(gzip.compress(SEED.encode()))
    result, [doc] = extract_json(runner, tmp_path / "page.html.gz")
    assert result.exit_code == 0, result.output
    assert doc["id"] == "page" and "GABA" in doc["text"]


def test_index_prints_summary(runner, tmp_path):
    corpus = write_pages(tmp_path / "corpus", PAGES)
    result = runner.invoke(main, ["index", str(corpus), "--index-dir", str(tmp_path / "ix")])
    assert result.exit_code == 0, result.output
    assert "5 articles" in result.output and "0 skipped" in result.output


def test_index_skips_bad_pages_with_reason_and_indexes_the_rest(runner, tmp_path):
    corpus = write_pages(
        tmp_path / "corpus", {**PAGES, "broken.html": b"\x89PNG\r\n\x1a\n" * 40, "empty.html": ""}
    )
    result = runner.invoke(main, ["index", str(corpus), "--index-dir", str(tmp_path / "ix")])
    assert result.exit_code == 3, result.output  # done, but some pages were skipped
    assert f"skipped {corpus / 'broken.html'}:" in result.stderr
    assert f"skipped {corpus / 'empty.html'}:" in result.stderr
    assert "5 articles" in result.output and "2 skipped" in result.output


def test_incremental_index_touches_only_the_changed_page(runner, tmp_path, monkeypatch):
    corpus, index_dir = make_index(tmp_path)
    changed = corpus / "sleep/caffeine.html"
    changed.write_text(
        article_html(
            "Caffeine and Sleep",
            [("", "Decaf coffee still contains theobromine and a little caffeine.")],
        )
    )
    parsed = []
    real_parse = build_module.parse_pages
    monkeypatch.setattr(
        build_module,
        "parse_pages",
        lambda pages, **kw: real_parse(parsed.extend(pages) or pages, **kw),
    )
    result = runner.invoke(main, ["index", str(corpus), "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    assert [p.id for p in parsed] == ["sleep/caffeine"]
    assert "0 added, 1 updated, 0 removed" in result.output


def test_incremental_index_finds_new_text_and_forgets_removed_pages(runner, tmp_path):
    corpus, index_dir = make_index(tmp_path)
    (corpus / "medicines/ibuprofen.html").unlink()
    write_pages(
        corpus,
        {
            "sleep/naps.html": article_html(
                "Power Naps",
                [("", "A short siesta after lunch helps many people feel alert again.")],
            )
        },
    )
    result = runner.invoke(main, ["index", str(corpus), "--index-dir", str(index_dir)])
    assert "1 added, 0 updated, 1 removed" in result.output
    out = runner.invoke(
        main, ["search", "siesta OR ibuprofen", "--json", "--index-dir", str(index_dir)]
    ).output
    assert [r["article_id"] for r in json.loads(out)["results"]] == ["sleep/naps"]


def test_unchanged_corpus_leaves_index_alone(runner, tmp_path):
    corpus, index_dir = make_index(tmp_path)
    before = current_generation(index_dir)
    result = runner.invoke(main, ["index", str(corpus), "--index-dir", str(index_dir)])
    assert "already up to date" in result.output
    assert current_generation(index_dir) == before


def test_second_index_run_is_refused_while_one_runs(runner, tmp_path):
    corpus, index_dir = make_index(tmp_path)
    with writer_lock(index_dir):
        result = runner.invoke(main, ["index", str(corpus), "--index-dir", str(index_dir)])
    assert result.exit_code == 1
    assert "another `searchsvc index`" in result.stderr and "Traceback" not in result.output


def test_failed_reindex_leaves_previous_index_serving(runner, tmp_path, monkeypatch):
    corpus, index_dir = make_index(tmp_path)
    before = current_generation(index_dir)
    (corpus / "sleep/caffeine.html").write_text(
        article_html("Caffeine", [("", "New caffeine text that never reaches the index.")])
    )

    def crash(self, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(SegmentWriter, "commit", crash)
    result = runner.invoke(main, ["index", str(corpus), "--index-dir", str(index_dir)])
    assert result.exit_code != 0
    assert current_generation(index_dir) == before
    assert sorted(p.name for p in index_dir.glob("gen-*")) == [before.name]
    monkeypatch.undo()
    out = runner.invoke(main, ["search", "adenosine", "--json", "--index-dir", str(index_dir)])
    assert json.loads(out.output)["results"][0]["article_id"] == "sleep/caffeine"


def ranked(runner, index_dir, query: str) -> list[tuple[str, float]]:
    out = runner.invoke(main, ["search", query, "--json", "--index-dir", str(index_dir)]).output
    return [(r["article_id"], r["score"]) for r in json.loads(out)["results"]]


def test_rebuild_committed_in_segments_ranks_as_one_and_fails_cleanly(
    runner, tmp_path, monkeypatch
):
    corpus, index_dir = make_index(tmp_path)
    query = "pain sleep caffeine ibuprofen muscle"
    one_segment = ranked(runner, index_dir, query)
    monkeypatch.setattr(build_module, "MIN_BATCH_PAGES", 1)
    monkeypatch.setattr(build_module, "SEGMENTS_PER_REBUILD", 5)
    commits: list[bool] = []
    real_commit = SegmentWriter.commit

    def counted_commit(self, **kwargs):
        commits.append(kwargs.get("merge", True))
        if fail_on and len(commits) == fail_on:
            raise OSError("disk full")
        return real_commit(self, **kwargs)

    monkeypatch.setattr(SegmentWriter, "commit", counted_commit)
    rebuild = ["index", str(corpus), "--index-dir", str(index_dir), "--rebuild"]
    fail_on = 0
    assert runner.invoke(main, rebuild).exit_code == 0
    assert commits == [False] * 5 + [True]  # a segment per page, then the closing commit
    assert ranked(runner, index_dir, query) == one_segment and len(one_segment) >= 4

    before = current_generation(index_dir)
    commits.clear()
    fail_on = 3
    assert runner.invoke(main, rebuild).exit_code != 0
    assert current_generation(index_dir) == before
    assert sorted(p.name for p in index_dir.glob("gen-*")) == [before.name]
    assert ranked(runner, index_dir, query) == one_segment


def test_index_of_an_older_format_is_refused_then_rebuilt(runner, tmp_path):
    corpus, index_dir = make_index(tmp_path)
    # As a release before generation records left it: no record, an older page table.
    live = current_generation(index_dir)
    (live / store.RECORD).unlink()
    manifest = live / store.MANIFEST
    old = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**old, "format": store.FORMAT - 1}))
    searching = ["search", "adenosine", "--index-dir", str(index_dir)]
    refused = runner.invoke(main, searching)
    assert refused.exit_code != 0 and "searchsvc index --rebuild" in refused.stderr
    result = runner.invoke(main, ["index", str(corpus), "--index-dir", str(index_dir)])
    assert result.exit_code == 0 and "5 added" in result.output
    assert "caffeine" in runner.invoke(main, searching).output.lower()


def test_rebuild_switches_to_a_fresh_generation(runner, tmp_path):
    corpus, index_dir = make_index(tmp_path)
    before = current_generation(index_dir)
    result = runner.invoke(main, ["index", str(corpus), "--index-dir", str(index_dir), "--rebuild"])
    assert result.exit_code == 0, result.output
    assert current_generation(index_dir) != before and "5 articles" in result.output


def test_index_missing_corpus_says_what_to_do(runner, tmp_path):
    result = runner.invoke(main, ["index", str(tmp_path / "nope"), "--index-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "corpus folder not found" in result.stderr


def test_index_dir_comes_from_environment(runner, tmp_path):
    corpus = write_pages(tmp_path / "corpus", PAGES)
    env = {"SEARCHSVC_INDEX_DIR": str(tmp_path / "envix")}
    assert runner.invoke(main, ["index", str(corpus)], env=env).exit_code == 0
    assert current_generation(tmp_path / "envix") is not None


def test_search_prints_ranked_results(runner, shared_index):
    result = runner.invoke(main, ["search", "diazepam back pain", "--index-dir", str(shared_index)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1].strip().startswith("1. How Does Diazepam")


def test_search_json_matches_api_shape(runner, shared_index):
    result = runner.invoke(
        main, ["search", "sleep", "--json", "--limit", "1", "--index-dir", str(shared_index)]
    )
    data = json.loads(result.output)
    assert data["per_page"] == 1 and len(data["results"]) == 1 and data["total"] == 2


@pytest.mark.parametrize("query", ["a*", "topic:", "-only -excluded", "   "])
def test_search_bad_query_is_a_usage_error(runner, shared_index, query):
    result = runner.invoke(main, ["search", "--index-dir", str(shared_index), "--", query])
    assert result.exit_code == 2
    assert "Usage: searchsvc search" in result.stderr and "Error:" in result.stderr


def test_search_without_index_says_how_to_build_one(runner, tmp_path):
    result = runner.invoke(main, ["search", "x", "--index-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "searchsvc index" in result.stderr


def test_build_from_articles_leaves_only_the_live_generation(tmp_path):
    from searchsvc.extract import Article, Section
    from searchsvc.index import build_from_articles

    article = Article("a", "", "A", "t", sections=[Section("", "", "Some words here.")])
    for _ in range(3):
        build_from_articles(tmp_path, [article])
    assert [p.name for p in tmp_path.glob("gen-*")] == [current_generation(tmp_path).name]


def test_touched_but_identical_page_is_read_once_and_not_reindexed(runner, tmp_path, monkeypatch):
    corpus, index_dir = make_index(tmp_path)
    before = current_generation(index_dir)
    page = corpus / "sleep/caffeine.html"
    page.write_bytes(page.read_bytes())  # same bytes, new mtime
    reads = []
    real_read = corpus_module.read_page

    def counted_read(path):
        reads.append(path)
        return real_read(path)

    monkeypatch.setattr(corpus_module, "read_page", counted_read)
    result = runner.invoke(main, ["index", str(corpus), "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    assert reads == [page] and "already up to date" in result.output
    assert current_generation(index_dir) == before
    reads.clear()
    runner.invoke(main, ["index", str(corpus), "--index-dir", str(index_dir)])
    assert reads == []  # the new mtime was recorded: not even read again

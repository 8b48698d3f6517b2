"""What `searchsvc index`, `extract` and `search` tell a new user: refusals, rebuilds, exit
codes, ids and pages, each through the real CLI."""

from __future__ import annotations

import json

import pytest

from searchsvc.cli import main
from searchsvc.index import current_generation

from .conftest import PAGES, SEED, article_html, make_index, write_pages


def index(runner, corpus, index_dir, *args):
    return runner.invoke(main, ["index", str(corpus), "--index-dir", str(index_dir), *args])


def search_ids(runner, index_dir, query):
    out = runner.invoke(main, ["search", query, "--json", "--index-dir", str(index_dir)]).stdout
    return [r["article_id"] for r in json.loads(out)["results"]]


# --- 1. a corpus that is empty or mostly missing ---------------------------------------------


def test_index_of_an_empty_folder_is_refused_and_the_live_index_stays(runner, tmp_path):
    _, index_dir = make_index(tmp_path)
    before = current_generation(index_dir)
    (tmp_path / "emptydir").mkdir()
    result = index(runner, tmp_path / "emptydir", index_dir)
    assert result.exit_code == 1, result.output
    assert "would remove all 5 indexed articles" in result.stderr
    assert "--allow-removals" in result.stderr and "Traceback" not in result.output
    assert current_generation(index_dir) == before
    assert search_ids(runner, index_dir, "adenosine") == ["sleep/caffeine"]


def test_allow_removals_empties_the_index_on_purpose(runner, tmp_path):
    _, index_dir = make_index(tmp_path)
    (tmp_path / "emptydir").mkdir()
    result = index(runner, tmp_path / "emptydir", index_dir, "--allow-removals")
    assert result.exit_code == 0, result.output
    assert "0 articles" in result.stdout and "5 removed" in result.stdout


def test_a_corpus_missing_3_of_5_pages_is_refused_unless_allowed(runner, tmp_path):
    corpus, index_dir = make_index(tmp_path)
    for name in ("sleep/caffeine.html", "sleep/insomnia.html", "medicines/ibuprofen.html"):
        (corpus / name).unlink()
    refused = index(runner, corpus, index_dir)
    assert refused.exit_code == 1 and "lacks 3 of the 5 indexed articles" in refused.stderr
    assert search_ids(runner, index_dir, "adenosine") == ["sleep/caffeine"]
    allowed = index(runner, corpus, index_dir, "--allow-removals")
    assert allowed.exit_code == 0 and "3 removed" in allowed.stdout
    assert search_ids(runner, index_dir, "adenosine OR diazepam") == [
        "medicines/diazepam-back-pain"
    ]


# --- 2. a settings change rebuilds, and says so -----------------------------------------------


def test_a_new_base_url_rebuilds_everything_and_says_why(runner, tmp_path):
    corpus = write_pages(tmp_path / "corpus", PAGES)
    index_dir = tmp_path / "index"
    assert index(runner, corpus, index_dir, "--base-url", "https://a.example").exit_code == 0
    result = index(runner, corpus, index_dir, "--base-url", "https://b.example")
    assert result.exit_code == 0, result.output
    assert (
        "Rebuilt everything: base_url changed from 'https://a.example' to 'https://b.example'"
        in result.stderr
    )
    out = runner.invoke(main, ["search", "sleep", "--json", "--index-dir", str(index_dir)]).stdout
    urls = [r["url"] for r in json.loads(out)["results"]]
    assert urls and all(u.startswith("https://b.example/") for u in urls)


# --- 3. partial success has its own exit code -------------------------------------------------

BROKEN = {"broken.html": b"\x89PNG\r\n\x1a\n" * 40}


def test_index_with_skipped_pages_exits_3_and_lists_each(runner, tmp_path):
    corpus = write_pages(tmp_path / "corpus", {**PAGES, **BROKEN})
    result = index(runner, corpus, tmp_path / "ix")
    assert result.exit_code == 3, result.output
    assert f"skipped {corpus / 'broken.html'}: " in result.stderr


@pytest.mark.parametrize(
    ("pages", "code"),
    [({**BROKEN, "good.html": SEED}, 3), (BROKEN, 1), ({"good.html": SEED}, 0)],
    ids=["some-failed", "all-failed", "none-failed"],
)
def test_extract_exit_code_tells_partial_from_total_failure(runner, tmp_path, pages, code):
    write_pages(tmp_path, pages)
    result = runner.invoke(main, ["extract", *(str(tmp_path / name) for name in pages)])
    assert result.exit_code == code, result.output


@pytest.mark.parametrize("command", ["extract", "index", "search", "serve", "eval"])
def test_every_command_documents_its_exit_codes(runner, command):
    out = runner.invoke(main, [command, "--help"], terminal_width=200).stdout
    assert "Exit codes: 0 done; 1 a problem to fix" in out
    assert ("3 done, but some pages were skipped" in out) == (command in ("extract", "index"))


# --- 5. extract, index and search as a new user meets them ------------------------------------


def test_extract_of_a_folder_reads_its_pages_with_ids_relative_to_it(runner, tmp_path):
    site = write_pages(tmp_path / "mysite", PAGES)
    result = runner.invoke(main, ["extract", "--json", str(site)])
    assert result.exit_code == 0, result.output
    docs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["id"] for d in docs] == sorted(p.removesuffix(".html") for p in PAGES)
    assert {d["root"] for d in docs} == {str(site)}


def test_index_of_a_file_says_it_takes_a_folder(runner, tmp_path):
    page = write_pages(tmp_path, {"file.html": SEED}) / "file.html"
    result = index(runner, page, tmp_path / "ix")
    assert result.exit_code == 1
    assert "is a file: `searchsvc index` takes the folder" in result.stderr


def test_extract_without_root_gives_the_id_and_topic_the_index_gives(runner, tmp_path):
    corpus = write_pages(tmp_path / "site", PAGES)
    env = {"SEARCHSVC_CORPUS_DIR": str(corpus)}
    page = corpus / "medicines/ibuprofen.html"
    result = runner.invoke(main, ["extract", "--json", str(page)], env=env)
    doc = json.loads(result.stdout)
    assert (doc["id"], doc["topic"], doc["root"]) == (
        "medicines/ibuprofen",
        "medicines",
        str(corpus),
    )
    plain = runner.invoke(main, ["extract", str(page)], env=env)
    assert f"(ids relative to {corpus})" in plain.stderr


def test_extract_of_a_file_outside_the_corpus_is_relative_to_its_folder(runner, tmp_path):
    page = write_pages(tmp_path / "loose", {"page.html": SEED}) / "page.html"
    env = {"SEARCHSVC_CORPUS_DIR": str(tmp_path / "elsewhere")}
    doc = json.loads(runner.invoke(main, ["extract", "--json", str(page)], env=env).stdout)
    assert (doc["id"], doc["root"]) == ("page", str(page.parent))


def test_search_past_the_last_page_says_so(runner, shared_index):
    args = ["search", "sleep", "--page", "99", "--index-dir", str(shared_index)]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "2 articles: page 99 is past the last page (1)" in result.stdout


def test_search_counts_one_article_in_the_singular(runner, shared_index):
    result = runner.invoke(main, ["search", "adenosine", "--index-dir", str(shared_index)])
    assert result.stdout.startswith("1 article (")


def test_search_wraps_and_indents_long_snippets(runner, tmp_path):
    text = " ".join(["Melatonin\nsignals darkness to the body clock and\nshifts sleep timing."] * 6)
    _, index_dir = make_index(
        tmp_path, {"sleep/melatonin.html": article_html("Melatonin", [("", text)])}
    )
    result = runner.invoke(
        main, ["search", "melatonin", "--index-dir", str(index_dir)], env={"COLUMNS": "60"}
    )
    snippet = result.stdout.splitlines()[3:]
    assert len(snippet) > 1, result.stdout
    assert all(line.startswith("     ") and len(line) <= 60 for line in snippet), result.stdout

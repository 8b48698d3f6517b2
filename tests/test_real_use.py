"""Promises that broke in real use (issue #10), each kept by a test through HTTP or the CLI."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from searchsvc.cli import main
from searchsvc.errors import ConfigError
from searchsvc.extract import extract_article
from searchsvc.index import current_generation, update_index
from searchsvc.web import create_app

from .conftest import PAGES, article_html, write_pages


@pytest.fixture
def site(tmp_path, make_server):
    """The sample pages indexed as the quick start does: no base URL configured."""
    corpus = write_pages(tmp_path / "corpus", PAGES)
    index_dir = tmp_path / "index"
    update_index(corpus, index_dir, workers=1)
    return make_server(index_dir, CORPUS_DIR=str(corpus)), corpus, index_dir


# 1. result links open the article


def test_result_links_open_the_article_served_from_the_corpus(site):
    server, _, _ = site
    _, data = server.get_json("/api/search?q=caffeine+adenosine")
    top = data["results"][0]
    assert top["article_url"] == "/sleep/caffeine" and top["url"].startswith("/sleep/caffeine")
    status, ctype, body = server.get(top["article_url"])
    assert status == 200 and ctype.startswith("text/html")
    assert "Caffeine blocks adenosine receptors" in body


@pytest.mark.parametrize(
    "path", ["/../pyproject.toml", "/%2e%2e/%2e%2e/etc/passwd", "/sleep/nope", "/sleep"]
)
def test_only_pages_under_the_corpus_root_are_served(site, path):
    status, _, _ = site[0].get(path)
    assert status == 404


def test_a_canonical_link_wins_over_serving_the_page(tmp_path, make_server):
    pages = {
        "a/p.html": article_html(
            "Canon", [("", "Unique zebrafish words.")], canonical="https://site.example/p"
        )
    }
    corpus = write_pages(tmp_path / "corpus", pages)
    update_index(corpus, tmp_path / "index", workers=1)
    server = make_server(tmp_path / "index", CORPUS_DIR=str(corpus))
    _, data = server.get_json("/api/search?q=zebrafish")
    assert data["results"][0]["article_url"] == "https://site.example/p"


def test_a_configured_base_url_does_not_serve_pages(tmp_path, make_server):
    corpus = write_pages(tmp_path / "corpus", PAGES)
    update_index(corpus, tmp_path / "index", workers=1, base_url="https://health.example")
    server = make_server(
        tmp_path / "index", CORPUS_DIR=str(corpus), BASE_URL="https://health.example"
    )
    assert server.get("/sleep/caffeine")[0] == 404


# 3. browsing a topic needs no query


def test_api_lists_a_topic_without_a_query_newest_first(tmp_path, make_server):
    pages = {
        f"sleep/p{i}.html": article_html(
            f"Sleep note {i}", [("", f"Note {i} about rest.")]
        ).replace(
            "<head>", f'<head><meta property="article:published_time" content="2024-0{i}-01">'
        )
        for i in (3, 1, 2)
    }
    pages["diet/x.html"] = article_html("Diet", [("", "Food.")])
    corpus = write_pages(tmp_path / "corpus", pages)
    update_index(corpus, tmp_path / "index", workers=1)
    server = make_server(tmp_path / "index", CORPUS_DIR=str(corpus))
    status, data = server.get_json("/api/search?topic=sleep")
    assert status == 200 and data["sort"] == "newest" and data["total"] == 3
    assert [r["article_id"] for r in data["results"]] == ["sleep/p3", "sleep/p2", "sleep/p1"]
    soup = BeautifulSoup(server.get("/search?topic=sleep")[2], "lxml")
    assert soup.select_one("li.result h2 a").get_text() == "Sleep note 3"


def test_browse_by_topic_links_list_the_topic(site):
    server = site[0]
    soup = BeautifulSoup(server.get("/")[2], "lxml")
    link = soup.select_one(".topics a")["href"]
    assert "q=" not in link
    listed = BeautifulSoup(server.get(link)[2], "lxml")
    assert listed.select("li.result") and "newest first" in listed.select_one(".summary").get_text()


# 4. what a result shows


def test_titles_link_to_the_article_and_headings_to_their_section(site):
    soup = BeautifulSoup(site[0].get("/search?q=GABA+neurotransmitter")[2], "lxml")
    result = soup.select_one("li.result")
    assert result.select_one("h2 a")["href"] == "/medicines/diazepam-back-pain"
    assert "#" in result.select_one(".meta a")["href"]


def test_summary_shows_the_topic_label_and_results_their_date(tmp_path, make_server):
    page = article_html(
        "Dated", [("", "Melatonin timing matters.")], topic="Mental Health"
    ).replace(
        "<head>", '<head><meta property="article:published_time" content="2024-02-03T09:00:00Z">'
    )
    corpus = write_pages(tmp_path / "corpus", {"m/d.html": page})
    update_index(corpus, tmp_path / "index", workers=1)
    server = make_server(tmp_path / "index", CORPUS_DIR=str(corpus))
    soup = BeautifulSoup(server.get("/search?q=melatonin&topic=mental-health")[2], "lxml")
    assert "in Mental Health" in " ".join(soup.select_one(".summary").get_text().split())
    assert soup.select_one("li.result .topic").get_text() == "Mental Health"
    assert soup.select_one("li.result time").get_text() == "3 February 2024"


# 6. stop words only


@pytest.mark.parametrize("q", ["the", "how to", "what is it"])
def test_stop_word_queries_say_why_nothing_was_searched(site, q):
    server = site[0]
    status, data = server.get_json(f"/api/search?q={q.replace(' ', '+')}")
    assert status == 200 and data["total"] == 0 and "too common" in data["notice"]
    soup = BeautifulSoup(server.get(f"/search?q={q.replace(' ', '+')}")[2], "lxml")
    assert "too common" in soup.select_one(".notice").get_text()


# 8. an empty index answers, never 500


def test_an_index_without_documents_answers_with_no_results(tmp_path, make_server, runner):
    (tmp_path / "empty").mkdir()
    update_index(tmp_path / "empty", tmp_path / "index", workers=1)
    server = make_server(tmp_path / "index")
    for path in ("/", "/healthz", "/api/stats", "/search?q=pain", "/api/topics"):
        assert server.get(path)[0] == 200, path
    assert server.get_json("/api/search?q=pain")[1]["total"] == 0
    result = runner.invoke(main, ["search", "pain", "--index-dir", str(tmp_path / "index")])
    assert result.exit_code == 0 and "0 articles" in result.output


# 9. a run that changes nothing writes nothing


def test_a_failing_page_does_not_make_a_no_op_run_write_a_generation(tmp_path, runner):
    corpus = write_pages(tmp_path / "corpus", {**PAGES, "bad/empty.html": ""})
    index = ["index", str(corpus), "--index-dir", str(tmp_path / "index")]
    runner.invoke(main, index)
    before = current_generation(tmp_path / "index")
    (corpus / "bad/empty.html").write_text("")  # touched, still broken
    result = runner.invoke(main, index)
    assert "already up to date" in result.output
    assert current_generation(tmp_path / "index") == before
    assert sorted(p.name for p in (tmp_path / "index").glob("gen-*")) == [before.name]


# 11. did you mean comes from live documents only


def test_did_you_mean_forgets_words_of_deleted_pages(tmp_path, make_server):
    pages = {**PAGES, "food/rye.html": article_html("Rye bread", [("", "Rye flour rye grain.")])}
    corpus = write_pages(tmp_path / "corpus", pages)
    update_index(corpus, tmp_path / "index", workers=1)
    (corpus / "food/rye.html").unlink()
    update_index(corpus, tmp_path / "index", workers=1)
    server = make_server(tmp_path / "index")
    _, data = server.get_json("/api/search?q=rye")
    assert data["total"] == 0 and data["suggestion"] is None
    _, data = server.get_json("/api/search?q=ryee")
    assert data["suggestion"] != "rye"


# 13. a bad setting stops the start, naming it


@pytest.mark.parametrize(
    "name, value", [("PER_PAGE", "abc"), ("CACHE_SIZE", "abc"), ("PER_PAGE", "0")]
)
def test_a_bad_setting_fails_at_start_naming_it(monkeypatch, tmp_path, name, value):
    monkeypatch.setenv(f"SEARCHSVC_{name}", value)
    with pytest.raises(ConfigError) as caught:
        create_app({"INDEX_DIR": str(tmp_path)})
    message = str(caught.value)
    assert f"SEARCHSVC_{name}" in message and repr(value) in message and "whole number" in message


def test_every_result_link_of_the_quick_start_opens_its_article(tmp_path, make_server):
    corpus = Path(__file__).resolve().parents[1] / "corpus"
    update_index(corpus, tmp_path / "index", workers=1)  # as `searchsvc serve` does
    server = make_server(tmp_path / "index", CORPUS_DIR=str(corpus))
    _, topics = server.get_json("/api/topics")
    opened = 0
    for topic in topics["topics"]:
        _, listed = server.get_json(f"/api/search?topic={topic['value']}&per_page=100")
        for result in listed["results"]:
            with urllib.request.urlopen(server.url + result["article_url"]) as response:
                page = extract_article(response.read(), article_id=result["article_id"])
            assert page.title == result["title"], result["url"]
            opened += 1
    assert opened == 49


# issue 12 (recency): the matching articles, newest first


def test_sort_newest_orders_matches_by_date_on_api_page_and_cli(tmp_path, make_server, runner):
    dated = {
        "a/old.html": ("2021-05-01", "Caffeine keeps you awake, say the old notes."),
        "a/new.html": ("2025-05-01", "Caffeine and sleep: a newer note."),
        "a/mid.html": ("2023-05-01", "Caffeine caffeine caffeine, sleep, sleep: the best match."),
        "a/none.html": ("", "Caffeine with no date."),
    }
    pages = {
        path: article_html(path, [("", text)]).replace(
            "<head>",
            f'<head><meta property="article:published_time" content="{day}">' if day else "<head>",
        )
        for path, (day, text) in dated.items()
    }
    corpus = write_pages(tmp_path / "corpus", pages)
    update_index(corpus, tmp_path / "index", workers=1)
    server = make_server(tmp_path / "index", CORPUS_DIR=str(corpus))
    _, newest = server.get_json("/api/search?q=caffeine+sleep&sort=newest")
    assert newest["sort"] == "newest" and newest["total"] == 4
    assert [r["article_id"] for r in newest["results"]] == ["a/new", "a/mid", "a/old", "a/none"]
    _, best = server.get_json("/api/search?q=caffeine+sleep")
    assert best["sort"] == "relevance" and best["results"][0]["article_id"] == "a/mid"
    status, bad = server.get_json("/api/search?q=caffeine&sort=oldest")
    assert status == 400 and "sort" in bad["error"]
    soup = BeautifulSoup(server.get("/search?q=caffeine+sleep&sort=newest")[2], "lxml")
    assert soup.select_one("#sort option[selected]")["value"] == "newest"
    assert soup.select_one("li.result time")["datetime"].startswith("2025-05-01")
    result = runner.invoke(
        main,
        [
            "search",
            "caffeine sleep",
            "--sort",
            "newest",
            "--json",
            "--index-dir",
            str(tmp_path / "index"),
        ],
    )
    assert json.loads(result.stdout)["results"][0]["article_id"] == "a/new"


def test_a_recency_boost_lifts_newer_articles_in_relevance_order(tmp_path, make_server):
    def page(day: str) -> str:
        html = article_html(f"Note of {day}", [("", "Magnesium and sleep quality.")])
        return html.replace(
            "<head>", f'<head><meta property="article:published_time" content="{day}">'
        )

    pages = {"m/a-old.html": page("2020-01-01"), "m/b-new.html": page("2025-01-01")}
    corpus = write_pages(tmp_path / "corpus", pages)
    update_index(corpus, tmp_path / "index", workers=1)
    plain = make_server(tmp_path / "index")  # off by default: equal text ties, first indexed
    _, data = plain.get_json("/api/search?q=magnesium")
    assert [r["article_id"] for r in data["results"]] == ["m/a-old", "m/b-new"]
    assert data["results"][0]["score"] == data["results"][1]["score"]
    boosted = make_server(tmp_path / "index", RECENCY_BOOST=10)
    _, data = boosted.get_json("/api/search?q=magnesium")
    old, new = sorted(data["results"], key=lambda r: r["article_id"])
    assert data["results"][0]["article_id"] == "m/b-new"
    assert new["score"] <= old["score"] * 1.1 + 1e-3  # gentle: at most 10% for the newest

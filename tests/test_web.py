"""The HTTP interface over real loopback HTTP: JSON API, search page, errors, re-indexing."""

from __future__ import annotations

import threading
from urllib.parse import quote

import pytest
from bs4 import BeautifulSoup

from searchsvc.index import update_index

from .conftest import BASE_URL, PAGES, article_html, make_index, write_pages

ERROR_KEYS = {"ok", "error", "status"}


def api(live, q: str, **params) -> tuple[int, dict]:
    query = "&".join([f"q={quote(q)}", *(f"{k}={quote(str(v))}" for k, v in params.items())])
    return live.get_json(f"/api/search?{query}")


def test_search_ranks_the_article_that_matches_most_words_first(live):
    status, data = api(live, "how does diazepam work for back pain")
    assert status == 200 and data["ok"] is True
    assert data["results"][0]["article_id"] == "medicines/diazepam-back-pain"


def test_the_word_as_typed_ranks_above_another_word_of_its_stem(tmp_path, make_server):
    # "experience" and "experiment" share the stem "experi": without the unstemmed field
    # the two pages tie, and the tie goes to the one indexed first.
    pages = {
        "study/a.html": article_html("Ward notes", [("", "Patients described the experience.")]),
        "study/b.html": article_html("Ward notes", [("", "Patients described the experiment.")]),
    }
    _, index_dir = make_index(tmp_path, pages)
    server = make_server(index_dir)
    assert [r["article_id"] for r in api(server, "experiment")[1]["results"]] == [
        "study/b",
        "study/a",
    ]
    assert api(server, "experience")[1]["results"][0]["article_id"] == "study/a"


def test_ranking_is_the_same_with_a_postings_cache_too_small_to_hold_a_query(
    shared_index, make_server
):
    query = "how does diazepam work for back pain and sleep"
    expected = api(make_server(shared_index), query)[1]["results"]
    tiny = make_server(shared_index, POSTINGS_CACHE_MB=0)  # keeps one posting list at a time
    assert api(tiny, query)[1]["results"] == expected and len(expected) >= 3
    arrays = tiny.app.extensions["searchsvc.engine"]._arrays[1]
    assert len(arrays._postings) == 1


def test_result_links_to_the_best_section(live):
    _, data = api(live, "GABA neurotransmitter")
    top = data["results"][0]
    assert top["heading"] == "Diazepam and Its Mechanism of Action"
    anchor = ":~:text=Diazepam%20and%20Its%20Mechanism%20of%20Action%3A"  # as the page shows it
    assert top["url"] == top["url"].split("#")[0] + "#" + anchor


def test_results_are_grouped_by_article_with_other_sections(live):
    _, data = api(live, "caffeine sleep")
    ids = [r["article_id"] for r in data["results"]]
    assert len(ids) == len(set(ids))
    caffeine = next(r for r in data["results"] if r["article_id"] == "sleep/caffeine")
    assert len(caffeine["more_sections"]) == 1


def test_snippet_marks_matched_words(live):
    _, data = api(live, "adenosine")
    assert "<mark>adenosine</mark>" in data["results"][0]["snippet"]


def test_snippet_escapes_script_from_an_article(live):
    _, data = api(live, "alert script")
    snippet = data["results"][0]["snippet"]
    assert "&lt;<mark>script</mark>&gt;" in snippet
    assert "<script" not in snippet


def test_topic_filter_and_facets(live):
    _, data = api(live, "sleep caffeine ibuprofen", topic="sleep")
    assert {r["topic"] for r in data["results"]} == {"sleep"}
    facets = {f["value"]: f["count"] for f in data["facets"]["topic"]}
    assert facets == {"sleep": 2, "medicines": 1}


def test_topic_in_query_filters_like_the_parameter(live):
    _, data = api(live, "topic:sleep sleep caffeine ibuprofen")
    assert data["total"] == 2 and data["topic"] == "sleep"


@pytest.mark.parametrize(
    "query, expected",
    [
        ('"back pain"', {"medicines/diazepam-back-pain"}),
        ("sleep -caffeine", {"sleep/insomnia"}),
        ("ibupro*", {"medicines/ibuprofen"}),
    ],
)
def test_query_syntax(live, query, expected):
    _, data = api(live, query)
    assert {r["article_id"] for r in data["results"]} == expected


def test_pagination(live):
    _, first = api(live, "sleep caffeine diazepam ibuprofen", per_page=2)
    _, second = api(live, "sleep caffeine diazepam ibuprofen", per_page=2, page=2)
    assert first["pages"] == 2 and len(first["results"]) == 2
    seen = [r["article_id"] for r in first["results"] + second["results"]]
    assert len(seen) == len(set(seen)) == first["total"]


def test_did_you_mean_for_unknown_word(live):
    _, data = api(live, "diazepma back pain")
    assert data["suggestion"] == "diazepam back pain"


def test_natural_question_with_parser_syntax_characters(live):
    status, data = api(live, "what (exactly) is caffeine's half-life? sleep: titles*?")
    assert status == 200 and data["results"][0]["article_id"] == "sleep/caffeine"


@pytest.mark.parametrize(
    "path",
    [
        "/api/search?q=a*",
        "/api/search?q=topic:",
        "/api/search?q=x&page=0",
        "/api/search?q=x&page=two",
        "/api/search?q=x&per_page=1000",
        "/api/search?q=" + "word%20" * 300,
    ],
)
def test_malformed_requests_get_400_json(live, path):
    status, data = live.get_json(path)
    assert status == 400
    assert set(data) == ERROR_KEYS and data["status"] == 400 and data["error"]


def test_unknown_api_path_is_json_404(live):
    status, data = live.get_json("/api/nope")
    assert status == 404 and set(data) == ERROR_KEYS


def test_topics_and_stats(live):
    _, topics = live.get_json("/api/topics")
    _, stats = live.get_json("/api/stats")
    assert {t["value"]: t["count"] for t in topics["topics"]} == {
        "medicines": 2,
        "sleep": 2,
        "wellbeing": 1,
    }
    assert (stats["documents"], stats["topics"]) == (5, 3) and stats["sections"] == 13


def test_no_index_answers_503(tmp_path, make_server):
    server = make_server(tmp_path / "empty")
    for path in ("/api/search?q=x", "/healthz", "/api/stats"):
        status, data = server.get_json(path)
        assert status == 503 and "searchsvc index" in data["error"], path
    status, _, body = server.get("/search?q=x")
    assert status == 503 and "not available" in body
    # readers see no server paths or admin commands
    assert "searchsvc index" not in body and str(tmp_path) not in body


def page_soup(live, path: str) -> BeautifulSoup:
    status, ctype, body = live.get(path)
    assert status == 200 and ctype.startswith("text/html")
    return BeautifulSoup(body, "lxml")


def test_search_page_shows_results_with_marks(live):
    soup = page_soup(live, "/search?q=diazepam+back+pain")
    titles = [a.get_text() for a in soup.select("li.result h2 a")]
    assert titles[0] == "How Does Diazepam Work For Back Pain?"
    assert soup.select("li.result .snippet mark")


def test_search_page_links_to_its_json(live):
    soup = page_soup(live, "/search?q=sleep")
    assert soup.find("link", rel="alternate")["href"] == "/api/search?q=sleep"


def test_search_page_keeps_script_text_as_text(live):
    soup = page_soup(live, "/search?q=alert+script")
    snippet = soup.select_one("li.result .snippet")
    assert "<script>alert(1)</script>" in snippet.get_text()
    assert soup.select("li.result script") == []


def test_search_page_escapes_the_query(live):
    status, _, body = live.get("/search?q=%3Cimg%20src=x%20onerror=alert(1)%3E")
    assert status == 200
    assert "<img src=x" not in body and "&lt;img src=x onerror=alert(1)&gt;" in body


def test_search_page_topic_filter_and_suggestion(live):
    soup = page_soup(live, "/search?q=diazepma")
    assert soup.select_one(".suggestion a").get_text() == "diazepam"
    soup = page_soup(live, "/search?q=caffeine+ibuprofen&topic=sleep")
    assert {t.get_text() for t in soup.select("li.result .topic")} == {"Sleep"}


def test_search_page_bad_query_shows_message(live):
    status, _, body = live.get("/search?q=a*")
    soup = BeautifulSoup(body, "lxml")
    assert status == 400 and "too short" in soup.select_one("[role=alert]").get_text()


def test_home_page_lists_topics(live):
    soup = page_soup(live, "/")
    assert {a.get_text() for a in soup.select(".topics a")} == {"Medicines", "Sleep", "Wellbeing"}


def test_server_answers_from_new_index_after_reindex(tmp_path, make_server):
    corpus, index_dir = make_index(tmp_path)
    server = make_server(index_dir)
    assert api(server, "hammock")[1]["total"] == 0
    text = "Sleeping in a hammock rocks you gently into deeper sleep, a small study found."
    write_pages(corpus, {"sleep/hammock.html": article_html("Hammocks", [("", text)])})
    update_index(corpus, index_dir, workers=1, base_url=BASE_URL)
    assert api(server, "hammock")[1]["results"][0]["article_id"] == "sleep/hammock"


def test_searches_succeed_during_reindex(tmp_path, make_server):
    corpus, index_dir = make_index(tmp_path)
    server = make_server(index_dir)
    done = threading.Event()
    statuses: list[int] = []

    def keep_searching():
        while not done.is_set():
            statuses.append(api(server, "sleep caffeine")[0])

    searchers = [threading.Thread(target=keep_searching) for _ in range(3)]
    try:
        for t in searchers:
            t.start()
        for _ in range(3):
            update_index(corpus, index_dir, rebuild=True, workers=1, base_url=BASE_URL)
    finally:
        done.set()
        for t in searchers:
            t.join(30)
    assert len(statuses) > 3 and set(statuses) == {200}


def test_long_prose_query_reads_operators_as_punctuation(live):
    prose = 'I read that "caffeine" blocks adenosine -- does a* topic: sleep really matter for me?'
    status, data = api(live, prose)
    assert status == 200 and data["results"][0]["article_id"] == "sleep/caffeine"


def test_accented_topics_are_found_by_name_and_by_word(tmp_path, make_server):
    pages = {
        "fr/vaccins.html": article_html(
            "Les vaccins", [("", "La vaccination protège la population.")], topic="Santé Publique"
        ),
        "sleep/caffeine.html": PAGES["sleep/caffeine.html"],
    }
    _, index_dir = make_index(tmp_path, pages)
    server = make_server(index_dir)
    status, data = api(server, "vaccination", topic="Santé Publique")
    assert status == 200 and [r["article_id"] for r in data["results"]] == ["fr/vaccins"]
    status, data = api(server, "vaccination topic:santé")
    assert [r["article_id"] for r in data["results"]] == ["fr/vaccins"]
    assert api(server, "vaccination", topic="sleep")[1]["total"] == 0
    _, topics = server.get_json("/api/topics")
    assert {"value": "sante-publique", "label": "Santé Publique", "count": 1} in topics["topics"]


def test_an_unexpected_failure_is_a_500_in_the_json_shape_without_a_traceback(
    shared_index, make_server, monkeypatch
):
    from searchsvc import web

    def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(web, "search", broken)
    server = make_server(shared_index)
    status, data = server.get_json("/api/search?q=sleep")
    assert status == 500 and set(data) == ERROR_KEYS
    assert "secret" not in data["error"] and "Traceback" not in data["error"]
    status, _, body = server.get("/search?q=sleep")
    assert status == 500 and "secret" not in body and "Traceback" not in body

"""The sample corpus in corpus/ extracts cleanly: enough articles, topics, no chrome."""

from __future__ import annotations

from pathlib import Path

import pytest

from searchsvc.corpus import find_pages, parse_page

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
CHROME = [
    "Leave a Comment",
    "Also Explore",
    "cookies",
    "Your email address",
    "Related Topics",
    "Popular Posts",
    "Subscribe",
]


@pytest.fixture(scope="module")
def parsed():
    return [parse_page(p, base_url="https://www.example-health.org") for p in find_pages(CORPUS)]


def test_corpus_has_forty_articles_over_six_topics(parsed):
    assert [p.page.id for p in parsed if p.error] == []
    assert len(parsed) >= 40
    assert len({p.article.topic for p in parsed}) >= 6


def test_topic_agrees_with_folder(parsed):
    wrong = [
        (p.page.id, p.article.topic) for p in parsed if p.article.topic != p.page.id.split("/")[0]
    ]
    assert wrong == []


def test_every_article_has_sections_and_no_chrome(parsed):
    for p in parsed:
        assert len(p.article.sections) >= 3, p.page.id
        leaked = [c for c in CHROME if c.lower() in p.article.text.lower()]
        assert leaked == [], (p.page.id, leaked)


def test_odd_encodings_decode(parsed):
    text = {p.page.id: p.article.text for p in parsed}
    assert "Ménière" in text["conditions/menieres-disease"]
    assert "café" in text["nutrition/salt-and-blood-pressure"]


def test_no_byline_or_reading_time_reaches_the_text_and_dates_stay(parsed):
    articles = [p.article for p in parsed if p.article]
    for article in articles:
        assert "min read" not in article.text, article.id
        assert not article.text.startswith(("By ", "\u00b7")), article.id
    dated = {a.id: a.published for a in articles}
    assert dated["medicines/diazepam-for-back-pain"].startswith("2024-03-22")  # "· 22 March 2024"

"""Analysis and scoring: the fast paths agree with Whoosh's, and BM25 behaves as BM25."""

from __future__ import annotations

import pickle

import pytest

from searchsvc import index as index_module
from searchsvc.index import open_index, update_index
from searchsvc.ranking import (
    exact_analyzer,
    lucene_idf,
    match_spans,
    term_spans,
    terms,
    text_analyzer,
    words,
)
from searchsvc.scorer import field_lengths

from .conftest import article_html, make_index, write_pages

SAMPLES = [
    "How Does Diazepam Work For Back Pain? It's a benzodiazepine.",
    "Café-au-lait spots, naïve T-cells and Ménière's disease",
    "U.S. guidelines (2024): 5 mg/day — don't exceed!",
    "Running runners ran; studies studied the studying",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_fast_terms_match_whoosh_analyzer(text):
    assert terms(text) == [t.text for t in text_analyzer()(text)]


@pytest.mark.parametrize("text", SAMPLES)
def test_fast_words_match_whoosh_exact_analyzer(text):
    assert words(text) == [t.text for t in exact_analyzer()(text)]


def test_term_spans_point_at_the_words():
    text = "Diazepam eases muscle spasms"
    assert [(text[s:e], t) for s, e, t in term_spans(text)] == [
        ("Diazepam", "diazepam"),
        ("eases", "eas"),
        ("muscle", "muscl"),
        ("spasms", "spasm"),
    ]


def test_stop_words_and_accents():
    assert terms("the naïve café") == ["naiv", "cafe"]


def test_analyzer_survives_pickling_into_the_index_schema():
    analyzer = pickle.loads(pickle.dumps(text_analyzer()))
    assert [t.text for t in analyzer("running")] == ["run"]


def test_idf_is_positive_and_falls_with_document_frequency():
    assert lucene_idf(1000, 1) > lucene_idf(1000, 100) > lucene_idf(1000, 1000) > 0


@pytest.mark.parametrize(
    "text",
    [
        "Using diazepam, users used it; studies study the studying of muscle spasms.",
        "Ménière's disease: naïve patients at the café were studied.",
    ],
)
def test_match_spans_finds_what_full_analysis_finds(text):
    wanted = {"use", "studi", "spasm", "menier", "cafe"}
    assert match_spans(text, wanted) == [s for s in term_spans(text) if s[2] in wanted]


def test_bulk_field_lengths_equal_whooshs_own_in_a_multi_segment_index(tmp_path, monkeypatch):
    # Several segments (a page each), sections without a heading (length 0), and one page
    # replaced afterwards, so a deleted document sits among the live ones.
    monkeypatch.setattr(index_module, "MIN_BATCH_PAGES", 1)
    corpus, index_dir = make_index(tmp_path)
    write_pages(corpus, {"sleep/caffeine.html": article_html("Coffee", [("", "Short now.")])})
    update_index(corpus, index_dir, workers=1)
    with open_index(index_dir).index.reader() as reader:
        assert len(reader.leaf_readers()) > 1 and reader.has_deletions()
        for field in ("body", "title", "heading", "exact"):
            whoosh_lengths = [
                reader.doc_field_length(d, field, 0) or 0 for d in range(reader.doc_count_all())
            ]
            assert field_lengths(reader, field).tolist() == whoosh_lengths
        assert 0 in field_lengths(reader, "heading").tolist()

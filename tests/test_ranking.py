"""Analysis and scoring: the fast paths agree with Whoosh's, and BM25 behaves as BM25."""

from __future__ import annotations

import pickle

import pytest

from searchsvc.ranking import (
    exact_analyzer,
    lucene_idf,
    match_spans,
    term_spans,
    terms,
    text_analyzer,
    words,
)

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

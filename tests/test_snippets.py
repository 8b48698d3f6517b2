"""Snippets: the best window of a section, marks, escaping, and block boundaries."""

from __future__ import annotations

from searchsvc.ranking import terms
from searchsvc.snippets import SNIPPET_CHARS, make_snippet

FILLER = "Plain words about nothing in particular fill this part of the section. " * 12


def test_long_section_shows_the_window_with_the_matches():
    text = FILLER + "Diazepam relaxes muscle spasms in the back. " + FILLER
    snippet = make_snippet(text, set(terms("diazepam spasms")))
    assert len(snippet.text) <= SNIPPET_CHARS
    assert snippet.cut_start and snippet.cut_end
    assert "<mark>Diazepam</mark>" in snippet.html and "<mark>spasms</mark>" in snippet.html
    assert snippet.html.startswith("…") and snippet.plain.endswith("…")


def test_window_prefers_more_distinct_terms_over_the_first_match():
    text = "Caffeine appears here. " + FILLER + "Caffeine and adenosine appear together here."
    snippet = make_snippet(text, set(terms("caffeine adenosine")))
    assert "adenosine" in snippet.text


def test_short_section_is_shown_whole_without_ellipses():
    snippet = make_snippet("Ibuprofen eases pain.", set(terms("pain")))
    assert snippet.html == "Ibuprofen eases <mark>pain</mark>."
    assert snippet.plain == "Ibuprofen eases pain."


def test_everything_but_the_marks_is_escaped():
    snippet = make_snippet("<script>alert(1)</script> pain & more", set(terms("pain")))
    assert snippet.html == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>pain</mark> &amp; more"


def test_list_items_do_not_run_together():
    text = "Cramping pain\n\nLoperamide for diarrhoea\n\nOral rehydration salts"
    snippet = make_snippet(text, set(terms("loperamide")))
    assert snippet.plain == "Cramping pain · Loperamide for diarrhoea · Oral rehydration salts"


def test_no_ellipsis_after_a_sentence_end():
    text = ("Short sentence one about pain. " * 20).strip()
    snippet = make_snippet(text, set(terms("pain")))
    assert snippet.text.endswith(".") and ".…" not in snippet.html

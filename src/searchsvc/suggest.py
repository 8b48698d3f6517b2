"""Did you mean: the query with its unknown words replaced by the closest known ones.

A word is unknown when none of its index terms occurs in a live section. Its replacement is the
most common index term within two edits (rapidfuzz does the distance work in C) that live
sections still use, shown as the articles write it: terms are stems ("medicin"), so the word is
read back from a section that contains it, laid out as the index laid it out.
"""

from __future__ import annotations

import re

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from .index.schema import section_body
from .ranking import fold, term_spans, terms
from .scorer import Ranker

MAX_EDITS = 2
CANDIDATES = 50
SURFACE_SECTIONS = 5


def suggest(ranker: Ranker, words: list[str], text: str) -> str | None:
    """``text`` with each unknown word of ``words`` replaced, or None when all are known."""
    replacements = {}
    for word in words:
        word_terms = terms(word)
        if not word_terms or any(ranker.live_frequency(t) for t in word_terms):
            continue  # a stop word, or known
        term = _closest_term(ranker, fold(word))
        if term is not None:
            replacements[word] = _surface_word(ranker, term, word)
    if not replacements:
        return None
    pattern = re.compile("|".join(re.escape(w) for w in sorted(replacements, key=len)[::-1]))
    return pattern.sub(lambda m: replacements[m.group(0)], text)


def _closest_term(ranker: Ranker, typed: str) -> str | None:
    vocabulary, counts = ranker.vocabulary()
    close = process.extract(
        typed,
        vocabulary,
        scorer=DamerauLevenshtein.distance,
        score_cutoff=MAX_EDITS,
        limit=CANDIDATES,
    )
    # Fewest edits, then most common; the vocabulary counts deleted sections too, so the
    # first candidate that live sections still use wins.
    for term, _, _ in sorted(close, key=lambda c: (c[1], -counts[c[2]])):
        if ranker.live_frequency(term):
            return term
    return None


def _surface_word(ranker: Ranker, term: str, typed: str) -> str:
    """The word, as the articles write it, whose index term is ``term`` and which is closest
    to what was typed (so "medecine" becomes "medicine", not "medicines")."""
    forms = set()
    for section in ranker.sections_with(term, SURFACE_SECTIONS):
        body = section_body(section.title, section.heading, section.text)
        forms.update(body[s:e].lower() for s, e, found in term_spans(body) if found == term)
    if not forms:
        return term
    return min(sorted(forms), key=lambda f: DamerauLevenshtein.distance(fold(typed), fold(f)))

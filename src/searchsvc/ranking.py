"""How text becomes terms and how terms score: the analyzer chain and the BM25 parameters.

Indexing and searching must agree on analysis, so both take it from here: a Unicode word
tokenizer, lower-casing, accent folding, an English stop list and the Snowball stemmer (via
PyStemmer, a C extension, so stemming costs little at index and query time). The weighting is
BM25 (computed in ``scorer`` with the :class:`RankingParams` it is given) with the Lucene/bm25s
idf, which, unlike Whoosh's default
``log(N/(df+1)) + 1``, gives near-zero weight to words found in most documents, so long
natural-language queries are ranked by their informative words. Whoosh pickles the schema
into the index, so the classes here are part of the on-disk format: renaming one needs a
``--rebuild``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from math import log

import Stemmer
from whoosh.analysis import (
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StopFilter,
)
from whoosh.support.charset import accent_map

# Words too common in English prose to tell articles apart (the NLTK/bm25s list).
STOP_WORDS = frozenset(
    """
    a about above after again against ain all am an and any are aren aren't as at be because
    been before being below between both but by can couldn couldn't d did didn didn't do does
    doesn doesn't doing don don't down during each few for from further had hadn hadn't has
    hasn hasn't have haven haven't having he her here hers herself him himself his how i if in
    into is isn isn't it it's its itself just ll m ma me mightn mightn't more most mustn
    mustn't my myself needn needn't no nor not now o of off on once only or other our ours
    ourselves out over own re s same shan shan't she she's should should've shouldn shouldn't
    so some such t than that that'll the their theirs them themselves then there these they
    this those through to too under until up ve very was wasn wasn't we were weren weren't what
    when where which while who whom why will with won won't wouldn wouldn't y you you'd you'll
    you're you've your yours yourself yourselves
    """.split()
)

WORD_PATTERN = r"\w+(?:[.']\w+)*"


@dataclass(frozen=True)
class RankingParams:
    """BM25 and field weights; see docs/relevance.md for how they were chosen.

    Passed to the scorer by whoever creates it (the app, the CLI, a benchmark trying a variant),
    never patched into a module.
    """

    k1: float = 1.2
    b: float = 1.0
    # Query-term saturation: a word typed q times weighs q(k3+1)/(q+k3), so 1, 1.8, 2.5, ...
    k3: float = 8.0
    # How much a match counts in each ranked field (body = title + heading + text); ``exact``
    # holds body's words unstemmed, so the word as typed counts a little more than another word
    # of the same stem ("experiment" over "experience", both "experi").
    body: float = 1.0
    title: float = 0.3
    heading: float = 0.5
    exact: float = 0.2
    # Relevance order only: the newest dated article's score is raised by this share, older
    # ones by less in date order, undated ones not at all (0 = off).
    recency: float = 0.0

    @classmethod
    def from_config(cls, config) -> RankingParams:
        """The parameters settings control (validated ``config``), the rest as tuned."""
        return cls(recency=int(config["RECENCY_BOOST"]) / 100)

    def saturate(self, typed: int | float) -> float:
        return typed * (self.k3 + 1) / (typed + self.k3)


class SnowballFilter(Filter):
    """Stems tokens with PyStemmer's English Snowball stemmer.

    Picklable (Whoosh stores the schema in the index): the C stemmer is rebuilt on load.
    """

    def __init__(self, language: str = "english") -> None:
        self.language = language
        self._stemmer = Stemmer.Stemmer(language)

    def __getstate__(self) -> dict:
        return {"language": self.language}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["language"])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SnowballFilter) and other.language == self.language

    def __call__(self, tokens):
        stem = self._stemmer.stemWord
        for t in tokens:
            if not t.stopped:
                t.text = stem(t.text)
            yield t


def word_analyzer():
    """Tokens as people type them: lower-cased and accent-folded, not stemmed."""
    return RegexTokenizer(WORD_PATTERN) | LowercaseFilter() | CharsetFilter(accent_map)


def text_analyzer():
    """The analyzer of every ranked field: words, minus stop words, stemmed."""
    # Stop words keep their positions (renumber=False), so a phrase with one in the middle
    # still matches exactly.
    return (
        word_analyzer()
        | StopFilter(stoplist=STOP_WORDS, minsize=1, renumber=False)
        | SnowballFilter()
    )


def exact_analyzer():
    """Words as typed, minus stop words, unstemmed: rewards the reader's exact word form."""
    return word_analyzer() | StopFilter(stoplist=STOP_WORDS, minsize=1)


def lucene_idf(doc_count: int, doc_freq: int) -> float:
    """BM25 idf as Lucene and bm25s compute it: always positive, ~0 for ubiquitous words."""
    return log(1 + (doc_count - doc_freq + 0.5) / (doc_freq + 0.5))


# The same analysis without Whoosh's token objects: for queries and snippets, where
# per-token Python overhead is the cost. ``tests/test_ranking.py`` keeps both in step.
_word_re = re.compile(WORD_PATTERN)
_stemmer = Stemmer.Stemmer("english")


def fold(word: str) -> str:
    """Lower-case and strip accents, as the analyzer does."""
    word = word.lower()
    return word if word.isascii() else word.translate(accent_map)


def term_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, index term) of every non-stop word in ``text``."""
    spans, words = [], []
    for m in _word_re.finditer(text):
        word = fold(m.group())
        if word not in STOP_WORDS:
            spans.append((m.start(), m.end()))
            words.append(word)
    return [(s, e, t) for (s, e), t in zip(spans, _stemmer.stemWords(words), strict=True)]


def term_positions(text: str) -> list[tuple[int, str]]:
    """(word position, index term) of every non-stop word; stop words count as positions."""
    kept, words = [], []
    for pos, word in enumerate(map(fold, _word_re.findall(text))):
        if word not in STOP_WORDS:
            kept.append(pos)
            words.append(word)
    return list(zip(kept, _stemmer.stemWords(words), strict=True))


def words(text: str) -> list[str]:
    """The words of ``text`` as ``exact_analyzer`` indexes them: folded, unstemmed, no stop
    words; in order, repeats kept."""
    return [w for w in map(fold, _word_re.findall(text)) if w not in STOP_WORDS]


def terms(text: str) -> list[str]:
    """The index terms of ``text``, in order, repeats kept."""
    return _stemmer.stemWords(words(text))


@lru_cache(maxsize=1024)
def _prefix_pattern(wanted: frozenset[str], accented: bool) -> re.Pattern:
    # Snowball stems are, but for a changed last letter ("studi" from "study"), prefixes of
    # the lower-cased word: the stem minus one letter finds every candidate. Words with
    # non-ASCII letters fold to other letters, so in accented text they are all candidates.
    prefixes = sorted({t[:-1] if len(t) >= 3 else t for t in wanted}, key=len, reverse=True)
    alternatives = "|".join(re.escape(p) for p in prefixes)
    if accented:
        alternatives += r"|\w*(?:(?![\x00-\x7f])\w)\w*"
    return re.compile(rf"(?<![\w.'])(?:{alternatives})\w*(?:[.']\w+)*", re.IGNORECASE)


def match_spans(text: str, wanted: set[str]) -> list[tuple[int, int, str]]:
    """``term_spans`` restricted to the ``wanted`` terms, found without analysing the rest.

    Snippets need only the query's words; finding candidates by prefix and stemming only
    those is many times cheaper than analysing a whole section.
    """
    if not wanted:
        return []
    found = list(_prefix_pattern(frozenset(wanted), not text.isascii()).finditer(text))
    words = [fold(m.group()) for m in found]
    return [
        (m.start(), m.end(), term)
        for m, word, term in zip(found, words, _stemmer.stemWords(words), strict=True)
        if term in wanted and word not in STOP_WORDS
    ]

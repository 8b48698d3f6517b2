"""What a reader typed, parsed: words, phrases, prefixes, exclusions and topic filters.

Readers' text is parsed here, not by Whoosh's query parser, because real questions contain
``?``, ``*``, ``:`` and parentheses that Whoosh reads as syntax. The grammar is small: words
(ranked, any may match), ``"quoted phrases"`` (required), ``-word`` and ``-"phrase"``
(excluded), ``topic:name`` (filter), ``word*`` (prefix). Nothing here touches the index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import BadQuery
from .text import slugify

PREFIX_MIN = 2
PROSE_WORDS = 12

_TOKEN = re.compile(
    r"""(?P<neg>-(?=["\w]))?
        (?:
          (?P<field>topic):(?:"(?P<fvq>[^"]*)"?|(?P<fv>\S*))
        | "(?P<phrase>[^"]*)"?
        | (?P<word>[^\s"]+)
        )""",
    re.VERBOSE | re.IGNORECASE,
)
_WORD_CHARS = re.compile(r"\w", re.UNICODE)
_PROSE_OPERATORS = re.compile(r'["*]|(?<!\S)-|(?<=topic):', re.IGNORECASE)


@dataclass
class ParsedQuery:
    words: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)  # words and phrases alike
    topics: list[str] = field(default_factory=list)  # slugs
    excluded_topics: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.words or self.phrases or self.prefixes)


def parse_query(text: str) -> ParsedQuery:
    """Split what a reader typed into words, phrases, prefixes, exclusions and filters.

    Unbalanced quotes close at the end; punctuation is left to the analyzer, which ignores it.
    A query of more than ``PROSE_WORDS`` words is prose (a pasted passage, a long question):
    there quotes, dashes, stars and ``topic:`` are punctuation, not operators.

    :raise BadQuery: for a prefix shorter than two letters or an empty ``topic:``.
    """
    parsed = ParsedQuery()
    if len(text.split()) > PROSE_WORDS:
        text = _PROSE_OPERATORS.sub(" ", text)
    for m in _TOKEN.finditer(text):
        negative = bool(m.group("neg"))
        if m.group("field"):
            value = slugify(m.group("fvq") or m.group("fv") or "")
            if not value:
                raise BadQuery("topic: needs a name, e.g. topic:medicines")
            (parsed.excluded_topics if negative else parsed.topics).append(value)
        elif m.group("phrase") is not None:
            phrase = m.group("phrase").strip()
            if phrase:
                (parsed.excluded if negative else parsed.phrases).append(phrase)
        else:
            _add_word(parsed, m.group("word"), negative)
    return parsed


def _add_word(parsed: ParsedQuery, word: str, negative: bool) -> None:
    if word.endswith("*") and not negative:
        stem = word.rstrip("*").strip("\"'()[]{}.,;:!?")
        if len(_WORD_CHARS.findall(stem)) < PREFIX_MIN:
            raise BadQuery(f"prefix {word!r} is too short: give at least {PREFIX_MIN} letters")
        parsed.prefixes.append(stem)
    elif _WORD_CHARS.search(word):
        (parsed.excluded if negative else parsed.words).append(word)

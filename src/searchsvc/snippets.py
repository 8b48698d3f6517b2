"""Snippets: the window of a section that best shows why it matched, with the matches marked.

A :class:`Snippet` is a value: the window's plain text and where the matched words are in it.
Its ``html`` form (everything escaped, matches in ``<mark>``) goes to the API and the page; its
``plain`` form to the terminal. Paragraphs and list items stay apart (`` · ``) so a snippet
never runs two of them together, and an ellipsis marks only a cut that is not at a sentence end.
"""

from __future__ import annotations

import re
from html import escape
from typing import NamedTuple

from .ranking import match_spans

SNIPPET_CHARS = 220
LONG_SECTION_CHARS = 20_000  # the first screenfuls hold the useful window
BLOCK_SEPARATOR = " · "
_BLOCK_BREAK = re.compile(r"\s*\n\s*\n\s*")
_SENTENCE_END = (".", "!", "?", "…", ":", ";")


class Snippet(NamedTuple):
    text: str  # the window, plain text
    marks: tuple[tuple[int, int], ...]  # (start, end) of each matched word in ``text``
    cut_start: bool  # the section goes on before the window
    cut_end: bool  # ... and after it, mid-sentence

    @property
    def html(self) -> str:
        out, pos = [], 0
        for s, e in self.marks:
            out.append(escape(self.text[pos:s]))
            out.append(f"<mark>{escape(self.text[s:e])}</mark>")
            pos = e
        out.append(escape(self.text[pos:]))
        return self._ellipses("".join(out))

    @property
    def plain(self) -> str:
        return self._ellipses(" ".join(self.text.split()))

    def _ellipses(self, body: str) -> str:
        return ("…" if self.cut_start else "") + body + ("…" if self.cut_end else "")


def make_snippet(text: str, terms: set[str], size: int = SNIPPET_CHARS) -> Snippet:
    """The window of ``text`` with the most distinct query terms, up to ``size`` characters."""
    text = text[:LONG_SECTION_CHARS]
    if "\n" in text:  # blocks (paragraphs, list items) are kept apart by blank lines
        text = _BLOCK_BREAK.sub(BLOCK_SEPARATOR, text).replace("\n", " ")
    spans = match_spans(text, terms)
    start, end = _best_window(text, spans, size)
    window = text[start:end]
    lead = len(window) - len(window.lstrip(" ·"))
    window = window.strip(" ·")
    marks = tuple(
        (s - start - lead, e - start - lead) for s, e, _ in spans if s >= start and e <= end
    )
    cut_end = end < len(text) and not window.endswith(_SENTENCE_END)
    return Snippet(window, marks, start > 0, cut_end)


def _best_window(text: str, spans: list, size: int) -> tuple[int, int]:
    if len(text) <= size:
        return 0, len(text)
    best_start, best_score = 0, -1
    for i, (s, _, _) in enumerate(spans):
        seen = {t for s2, e2, t in spans[i:] if e2 <= s + size}
        score = len(seen) * 1000 - i  # most distinct terms, then earliest
        if score > best_score:
            best_start, best_score = s, score
    if best_score < 0:
        return 0, _cut(text, size)
    # Start a little before the first match, at a word boundary, to give it context.
    start = max(0, best_start - size // 4)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < best_start else best_start
    return start, _cut(text, start + size)


def _cut(text: str, end: int) -> int:
    if end >= len(text):
        return len(text)
    space = text.rfind(" ", 0, end)
    return space if space > 0 else end

"""Bylines, datelines and reading-time lines at the top of the body: not article text.

"By Jane Baker ·", "· 22 March 2024", "Filed under: Fitness 2 min read", "Updated 3 May 2025"
are page furniture that often sits inside the article markup without a telling class. A
block counts as one when it is short, sits among the first blocks of the body, and is made
of nothing but such parts: an author ("By …"), a date, a reading time, a "Filed under" /
"Posted in" category, "Updated"/"Published" labels and separators. Its date is kept: the
pipeline uses it as ``published`` when the page has no date in its markup.
"""

from __future__ import annotations

import re

from .blocks import Block
from .dates import HUMAN_DATE, ISO_DATE, human_date, normalise_published

# Bylines sit above the text: only this many first blocks of the body are looked at.
FIRST_BLOCKS = 4
MAX_BYLINE_CHARS = 150

_READING_TIME = re.compile(
    # "5 min read", "5-7 minutes read"; one way to match each digit run (a nested
    # quantifier here took minutes on a line of 30 digits)
    r"\b\d+(?:(?:\s*(?:-|to)\s*|\s+)\d+)*\s*min(?:ute)?s?\.?\s+(?:read|reading(?:\s+time)?)\b"
    r"|\breading\s+time\s*:?\s*\d+\s*min(?:ute)?s?\b",
    re.IGNORECASE,
)
_LABEL = re.compile(
    r"\b(?:(?:last\s+)?updated|published|posted|modified|reviewed)(?:\s+(?:on|at))?\s*:?",
    re.IGNORECASE,
)
_CATEGORY = re.compile(
    r"\b(?:filed\s+under|posted\s+in|categor(?:y|ies))\s*:?\s*(?:[A-Z][\w&'-]*(?:\s+|$)){1,4}",
    re.IGNORECASE,
)
# "By Jane Baker", "by Tom Okafor, MPharm", "By Dr. A. Smith and B. Jones": names only.
_AUTHOR = re.compile(
    r"^\W*(?:written\s+)?by\s+(?:[A-Z][\w.'-]*,?\s*(?:and\s+|&\s*)?){1,6}", re.IGNORECASE
)
_TIME_OF_DAY = re.compile(r"\b\d{1,2}[:.]\d{2}\s*(?:[aApP]\.?[mM]\.?)?(?:\s*[A-Z]{2,4}\b)?")
_LEFTOVER = re.compile(r"^[\W_]*$")  # separators and punctuation only


def drop_bylines(blocks: list[Block]) -> tuple[list[Block], str | None]:
    """The blocks without byline lines near the top, and the first date one of them gave."""
    kept: list[Block] = []
    found: str | None = None
    for i, block in enumerate(blocks):
        if i < FIRST_BLOCKS and block.kind != "heading" and is_byline(block.text):
            found = found or _date_in(block.text)
            continue
        kept.append(block)
    return kept, found


def is_byline(text: str) -> bool:
    """Only an author, date, reading time, category label and separators (see module doc)."""
    if len(text) > MAX_BYLINE_CHARS:
        return False
    rest, signals = text, 0
    for pattern in (_AUTHOR, HUMAN_DATE, ISO_DATE, _READING_TIME, _CATEGORY):
        rest, n = pattern.subn(" ", rest)
        signals += n
    rest = _TIME_OF_DAY.sub(" ", _LABEL.sub(" ", rest))
    return signals > 0 and bool(_LEFTOVER.match(rest))


def _date_in(text: str) -> str | None:
    human = HUMAN_DATE.search(text)
    if human:
        return human_date(human)
    iso = ISO_DATE.search(text)
    return normalise_published(iso.group(0)) if iso else None

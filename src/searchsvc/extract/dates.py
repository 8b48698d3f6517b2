"""Publication dates normalised to ISO 8601, from whatever form a page gives them in.

The one output format: a date and time become ``YYYY-MM-DDTHH:MM:SS+HH:MM`` with the offset the
page gave (``Z`` is written ``+00:00``; fractions of a second are dropped; a time without any
offset stays without one, as the page did not say which zone it meant); a date alone becomes
``YYYY-MM-DD``. Human dates ("22 March 2024", "March 22, 2024", "Fri, 22 Mar 2024 09:14:00
GMT") are read too. Anything else is None: a wrong date is worse than none.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from email.utils import parsedate_to_datetime

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}  # fmt: skip
_MONTHS = "|".join(sorted(MONTHS, key=len, reverse=True))


def _human_date_pattern() -> re.Pattern[str]:
    """Dates as people write them: "22 March 2024", "March 22, 2024", "Mar. 22nd 2024"."""
    day_first = (
        rf"(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>{_MONTHS})\.?,?\s+(?P<y1>\d{{4}})"
    )
    month_first = rf"(?P<m2>{_MONTHS})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{{4}})"
    return re.compile(rf"\b(?:{day_first}|{month_first})\b", re.IGNORECASE)


HUMAN_DATE = _human_date_pattern()
ISO_DATE = re.compile(r"\b(?P<year>\d{4})[-/](?P<month>\d{1,2})[-/](?P<day>\d{1,2})\b")
_HAS_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def normalise_published(value: str | None) -> str | None:
    """``value`` as ISO 8601 (see the module docstring), or None if it is not a date."""
    text = (value or "").strip()
    if not text:
        return None
    if _HAS_TIME.match(text):
        try:
            moment = datetime.fromisoformat(text.replace(" ", "T", 1))
        except ValueError:
            return None
        return moment.replace(microsecond=0).isoformat()
    whole = ISO_DATE.fullmatch(text)
    if whole:
        return _iso_date(whole["year"], whole["month"], whole["day"])
    try:
        return parsedate_to_datetime(text).replace(microsecond=0).isoformat()  # RFC 2822
    except (TypeError, ValueError, IndexError):
        pass
    found = HUMAN_DATE.search(text)
    return human_date(found) if found and len(text) <= 60 else None


def human_date(match: re.Match[str]) -> str | None:
    """A :data:`HUMAN_DATE` match as ``YYYY-MM-DD``, or None if no such day exists."""
    month = MONTHS[(match["m1"] or match["m2"]).lower()]
    return _iso_date(match["y1"] or match["y2"], month, match["d1"] or match["d2"])


def _iso_date(year: str, month: str | int, day: str) -> str | None:
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None

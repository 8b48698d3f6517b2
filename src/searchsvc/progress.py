"""Progress of long CLI work: a bar per phase on a terminal, log lines everywhere else.

Long jobs (``index``, ``serve``'s first indexing, ``eval``) go through phases ("Indexing",
"Committing"; "Indexing documents", "Queries") and report them with one callback,
``reporter(phase, done, total)``: the shape ``index.update_index`` and
``relevance.evaluate_dataset`` call. A new phase name ends the previous phase; ``done == total``
ends the current one.

On a terminal each phase draws a bar on stderr. Elsewhere (cron, CI, a pipe) a line is written
every ``interval`` seconds and when a phase ends, for example
``Indexing: 1,200/10,000 pages (12%), 210 pages/s, about 42 s left``; a job shorter than
``interval`` prints nothing. The rate and the time left are taken since the phase began, not
from the last few items: parse results arrive from the process pool in bursts, and a
per-item estimate swings wildly. No estimate is shown before ``MIN_ETA_SECONDS`` and
``MIN_ETA_ITEMS``. This module knows nothing of indexing: it formats counts and time.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

LOG_INTERVAL = 5.0  # seconds between log lines when stderr is not a terminal
REDRAW_INTERVAL = 0.1  # seconds between redraws of a terminal bar
MIN_ETA_SECONDS = 3.0  # no time-left estimate before this much of a phase has run ...
MIN_ETA_ITEMS = 3  # ... and this many items are done
BAR_WIDTH = 24
# What each phase searchsvc reports counts; a phase without a unit has no count (a commit).
UNITS = {
    "Indexing": "pages",
    "Committing": "",
    "Indexing documents": "documents",
    "Queries": "queries",
}


def duration(seconds: float) -> str:
    """3 -> '3 s', 125 -> '2 min 5 s', 3725 -> '1 h 2 min'."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def _rate(rate: float) -> str:
    return f"{rate:,.1f}" if rate < 10 else f"{rate:,.0f}"


class Phase:
    """One phase's counts and clock."""

    def __init__(self, name: str, total: int, unit: str, started: float) -> None:
        self.name, self.total, self.unit = name, total, unit
        self.done = 0
        self.started = started
        self.lines = 0  # log lines written for this phase

    def rate(self, now: float) -> float | None:
        elapsed = now - self.started
        return self.done / elapsed if elapsed > 0 and self.done else None

    def eta(self, now: float) -> float | None:
        """Seconds left, once the phase has run long enough to tell."""
        rate = self.rate(now)
        if (
            rate is None
            or now - self.started < MIN_ETA_SECONDS
            or self.done < min(MIN_ETA_ITEMS, self.total)
        ):
            return None
        return (self.total - self.done) / rate

    def counts(self) -> str:
        """'1,200/10,000 pages (12%)', or "" for a phase without a count (a commit)."""
        if not self.unit:
            return ""
        pct = f" ({self.done * 100 // self.total}%)" if self.total else ""
        return f"{self.done:,}/{self.total:,} {self.unit}{pct}"

    def status(self, now: float) -> str:
        """'Indexing: 1,200/10,000 pages (12%), 210 pages/s, about 42 s left'."""
        counts = self.counts()
        parts = [counts] if counts else []
        finished = self.done >= self.total
        rate = self.rate(now)
        if rate is not None and self.unit:
            parts.append(f"{_rate(rate)} {self.unit}/s")
        if finished:
            parts.append(f"done in {duration(now - self.started)}")
        else:
            eta = self.eta(now)
            if eta is not None:
                parts.append(f"about {duration(eta)} left")
            elif not self.done:
                elapsed = now - self.started
                parts.append("started" if elapsed < 1 else f"{duration(elapsed)} so far")
        return f"{self.name}: " + ", ".join(parts)


class Reporter:
    """Shows the progress of phased work on ``file`` (stderr by default).

    :param interval: seconds between log lines when ``file`` is not a terminal; tests pass 0
        to see a line for every update.
    :param tty: draw bars (True) or write log lines (False); default: whether ``file`` is a
        terminal.
    :param clock: the time source, ``time.monotonic`` unless a test fakes it.
    """

    def __init__(
        self,
        file: TextIO | None = None,
        *,
        interval: float = LOG_INTERVAL,
        tty: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._file = file
        self.interval = interval
        self._tty = tty
        self.clock = clock
        self.phase: Phase | None = None
        self._started: float | None = None  # when the first phase began
        self._last_output = 0.0

    @property
    def file(self) -> TextIO:
        return self._file if self._file is not None else sys.stderr

    @property
    def tty(self) -> bool:
        if self._tty is not None:
            return self._tty
        isatty = getattr(self.file, "isatty", None)
        return bool(isatty and isatty())

    def __call__(self, name: str, done: int, total: int) -> None:
        """Report that ``done`` of ``total`` items of phase ``name`` are finished."""
        now = self.clock()
        if self.phase is None or self.phase.name != name:
            self.close()
            self.phase = Phase(name, total, UNITS.get(name, "items"), now)
            if self._started is None:
                self._started = now
            elif not self.tty and now - self._started >= self.interval:
                self._write(self.phase.status(now))  # a long job: say each phase as it begins
        phase = self.phase
        phase.done, phase.total = done, total
        if done >= total:
            self.close()
        elif self.tty:
            if now - self._last_output >= REDRAW_INTERVAL:
                self._draw(now)
        elif now - max(self._last_output, phase.started) >= self.interval:
            self._write(phase.status(now))

    def close(self) -> None:
        """End the current phase: finish its bar, or log its end when the job was long."""
        phase, self.phase = self.phase, None
        if phase is None:
            return
        now = self.clock()
        if self.tty:
            if phase.total:
                self._draw(now, phase)
                self.file.write("\n")
                self.file.flush()
        elif phase.lines or now - phase.started >= self.interval:
            self._write(phase.status(now), phase)

    def _write(self, line: str, phase: Phase | None = None) -> None:
        phase = phase or self.phase
        if phase is not None:
            phase.lines += 1
        self._last_output = self.clock()
        self.file.write(line + "\n")
        self.file.flush()

    def _draw(self, now: float, phase: Phase | None = None) -> None:
        phase = phase or self.phase
        if phase is None or not phase.total:
            return
        filled = BAR_WIDTH * min(phase.done, phase.total) // phase.total
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        status = phase.status(now).split(": ", 1)[1]
        self._last_output = now
        self.file.write(f"\r{phase.name:<20} [{bar}] {status}\x1b[K")
        self.file.flush()

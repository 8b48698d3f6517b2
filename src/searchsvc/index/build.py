"""Building the index: ``update_index`` from a corpus folder, ``build_from_articles`` from memory.

Both take the writer lock and write through :func:`store.new_generation`, so they share one
write-a-generation sequence. ``update_index`` is incremental by default: ``corpus`` decides which
pages changed, only those are parsed (in worker processes, which also analyse the text), and a
run that changes nothing writes no generation. A page that fails to parse, or that the walk
cannot read (its folder unreadable, a broken link, a file deleted meanwhile), is reported and
skipped; if an earlier version of it is indexed, that version stays: a read error is never a
removal.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..config import default
from ..corpus import CorpusScan, PageState, ParsedPage, changed_pages, parse_pages, scan_corpus
from ..errors import UnsafeIndexRun
from ..extract import Article
from .schema import prepare_documents
from .store import (
    FORMAT,
    Draft,
    GenerationRecord,
    Manifest,
    PageEntry,
    current_generation,
    new_generation,
    remove_stale_generations,
    writer_lock,
)

# A run commits a segment every MIN_BATCH_PAGES pages or every quarter of its pages, whichever
# is more: fewer segments read faster, more overlap writing with parsing (see BatchWriter).
MIN_BATCH_PAGES = 500
SEGMENTS_PER_REBUILD = 4
# A run may remove at most this share of the live articles unless the admin allows it.
MAX_REMOVED_SHARE = 0.5

# progress(phase, done, total): "Indexing" page by page (0 of N when parsing starts), then
# "Committing" 0 of 1 before the closing commit and 1 of 1 when the generation is live.
Progress = Callable[[str, int, int], None]


@dataclass
class IndexReport:
    """What one indexing run did."""

    articles: int = 0
    sections: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    notes: list[str] = field(default_factory=list)  # e.g. a stale lock taken over
    seconds: float = 0.0
    generation: str = ""
    rebuilt: bool = False
    rebuild_reason: str = ""  # why an incremental run rebuilt everything, if it did

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.rebuilt)

    def summary(self) -> str:
        return (
            f"{self.articles} articles, {self.sections} sections: {self.added} added, "
            f"{self.updated} updated, {self.removed} removed, {len(self.skipped)} skipped "
            f"in {self.seconds:.2f}s"
        )


def batch_pages(pages: int) -> int:
    return max(MIN_BATCH_PAGES, -(-pages // SEGMENTS_PER_REBUILD))


def update_index(
    corpus_dir: Path,
    index_dir: Path,
    *,
    rebuild: bool = False,
    workers: int = default("WORKERS"),
    base_url: str = default("BASE_URL"),
    allow_removals: bool = False,
    follow_external_links: bool = default("FOLLOW_EXTERNAL_LINKS"),
    progress: Progress | None = None,
) -> IndexReport:
    """Bring the index in line with the corpus: a new generation, then an atomic switch.

    A generation records the settings it was built with; a run under other settings (another
    base URL) rebuilds, saying why in ``rebuild_reason``.

    Pages under a folder (or a page file) that cannot be read keep their indexed version and
    are reported in ``skipped``, as are links out of the corpus (left out, and removed from the
    index, unless ``follow_external_links``).

    :param allow_removals: let the run empty the index or remove more than half of it, and
        let a rebuild drop the indexed pages it cannot read.
    :param progress: called as ``progress(phase, done, total)``: "Indexing" pages, then
        "Committing" (0 of 1, then 1 of 1).
    :raise CorpusNotFound: when ``corpus_dir`` is not a folder.
    :raise IndexLocked: when another run holds the index.
    :raise CorpusUnreadable: when ``corpus_dir`` itself cannot be read.
    :raise IndexWriteError: when the index folder cannot be written; the live index stays.
    :raise UnsafeIndexRun: when the run would empty the index or remove most of it, or a
        rebuild would drop pages it cannot read.
    """
    started = time.perf_counter()
    index_dir = Path(index_dir)
    corpus_dir = Path(corpus_dir)
    scan = scan_corpus(corpus_dir, follow_external_links=follow_external_links)
    pages = scan.pages
    settings = {"base_url": base_url}
    with writer_lock(index_dir) as lock:
        live = current_generation(index_dir)
        remove_stale_generations(index_dir, keep={live.name} if live else set())
        old = _old_manifest(live)
        kept = _unreadable_pages(old, scan)
        if not allow_removals:
            _check_removals(old, {p.id for p in pages} | kept, corpus_dir)
        reason = _settings_changed(live, settings) if old is not None else ""
        if rebuild or reason:
            if kept and not allow_removals:
                _refuse_dropping(kept, scan)
            old, kept = None, set()
        report = IndexReport(rebuilt=old is None, rebuild_reason=reason)
        report.notes += [lock.stale] if lock.stale else []
        report.skipped += _scan_problems(scan, old)
        known = {} if old is None else old.pages
        states = {k: PageState(e.sha, e.size, e.mtime_ns) for k, e in known.items()}
        todo, same = changed_pages(pages, states)
        manifest = Manifest(pages={p.id: known[p.id] for p in same})
        manifest.pages.update((page_id, known[page_id]) for page_id in sorted(kept))
        gone = sorted(set(known) - {p.id for p in pages} - kept)
        if old is not None and not todo and not gone:
            report.generation = live.name
            return _finish(report, manifest, started)
        parsed_pages = parse_pages(
            todo,
            base_url=base_url,
            workers=workers,
            prepare=prepare_documents,
            close_fds=[lock.fd],
        )
        if progress:
            progress("Indexing", 0, len(todo))
        with new_generation(
            index_dir,
            batch_pages=batch_pages(len(todo)),
            base=live if old is not None else None,
            manifest=manifest,
            settings=settings,
        ) as draft:
            for article_id in gone:
                draft.writer.delete_article(article_id)
                report.removed += 1
            for done, parsed in enumerate(parsed_pages, 1):
                _apply(parsed, draft, known, report)
                draft.writer.page_done()
                if progress:
                    progress("Indexing", done, len(todo))
            if not report.changed:
                draft.discard()  # touched or failed pages only: the live generation stands
            elif progress:
                progress("Committing", 0, 1)
        if progress and not draft.discarded:
            progress("Committing", 1, 1)
        report.generation = live.name if draft.discarded else draft.path.name
        report.unchanged = len(manifest.pages) - report.added - report.updated
        return _finish(report, manifest, started)


def _old_manifest(live: Path | None) -> Manifest | None:
    """The live generation's page table, or None when there is none of this format (rebuild)."""
    if live is None:
        return None
    try:
        old = Manifest.load(live)
    except (OSError, ValueError, TypeError):
        return None
    return old if old.format == FORMAT else None


def _unreadable_pages(old: Manifest | None, scan: CorpusScan) -> set[str]:
    """Ids of indexed pages the walk could not read: they keep their indexed version."""
    if old is None or not scan.unreadable:
        return set()
    found = {p.id for p in scan.pages}
    return {
        page_id
        for page_id in old.pages
        if page_id not in found and any(u.covers(page_id) for u in scan.unreadable)
    }


def _scan_problems(scan: CorpusScan, old: Manifest | None) -> list[tuple[str, str]]:
    """(path, reason) for each folder or file the walk could not read or left out."""
    problems = []
    for u in scan.unreadable:
        held = 0 if old is None else sum(1 for page_id in old.pages if u.covers(page_id))
        kept = f"; its {held} indexed articles stay as they were" if held > 1 else ""
        if held == 1:
            kept = "; its indexed version stays"
        problems.append((str(u.path), u.reason + kept))
    problems += [(str(path), reason) for path, reason in scan.excluded]
    return problems


def _refuse_dropping(kept: set[str], scan: CorpusScan) -> None:
    """:raise UnsafeIndexRun: a rebuild cannot keep pages it cannot read."""
    where = ", ".join(str(u.path) for u in scan.unreadable[:3])
    more = f" and {len(scan.unreadable) - 3} more" if len(scan.unreadable) > 3 else ""
    raise UnsafeIndexRun(
        f"cannot read {where}{more}: a rebuild would drop {len(kept)} indexed articles found "
        "there. Nothing was changed. Fix the permissions, run without --rebuild (an update "
        "keeps them), or pass --allow-removals to drop them"
    )


def _check_removals(old: Manifest | None, found: set[str], corpus_dir: Path) -> None:
    """:raise UnsafeIndexRun: when the run would empty the live index or remove most of it."""
    if old is None or not old.pages:
        return
    live = len(old.pages)
    gone = sum(1 for page_id in old.pages if page_id not in found)
    if not found:
        raise UnsafeIndexRun(
            f"{corpus_dir} has no pages: this run would remove all {live} indexed articles "
            "and leave the index empty. Nothing was changed. Check the folder, or pass "
            "--allow-removals to empty the index on purpose"
        )
    if gone > live * MAX_REMOVED_SHARE:
        raise UnsafeIndexRun(
            f"{corpus_dir} lacks {gone} of the {live} indexed articles: this run would remove "
            f"them ({gone * 100 // live}%, more than {int(MAX_REMOVED_SHARE * 100)}%). Nothing "
            "was changed. Check the folder, or pass --allow-removals to remove them"
        )


def _settings_changed(live: Path | None, settings: dict[str, str]) -> str:
    """Why the live generation cannot be patched under ``settings``, or "" when it can."""
    if live is None:
        return ""
    try:
        built_with = GenerationRecord.load(live).settings
    except (OSError, ValueError, TypeError):
        return "the live generation has no record of its settings"
    for name, value in settings.items():
        if built_with.get(name, value) != value:
            return f"{name} changed from {built_with[name]!r} to {value!r}"
    return ""


def _apply(
    parsed: ParsedPage, draft: Draft, known: dict[str, PageEntry], report: IndexReport
) -> None:
    """Write one parsed page into the generation being built and account for it."""
    page = parsed.page
    previous = known.get(page.id)
    if parsed.unchanged and previous is not None:
        draft.manifest.pages[page.id] = PageEntry(
            parsed.sha,
            page.size,
            page.mtime_ns,
            previous.sections,
            previous.topic,
            previous.topic_label,
        )
        return
    if parsed.article is None:
        report.skipped.append((str(page.path), parsed.error or "unknown error"))
        if previous is not None:
            draft.manifest.pages[page.id] = previous  # keep the last good version serving
        return
    if previous is not None:
        draft.writer.delete_article(page.id)
        report.updated += 1
    elif not report.rebuilt:
        report.added += 1
    for doc in parsed.prepared or prepare_documents(parsed.article):
        draft.writer.add_document(**doc)
    article = parsed.article
    draft.manifest.pages[page.id] = PageEntry(
        parsed.sha,
        page.size,
        page.mtime_ns,
        len(article.sections),
        article.topic,
        article.topic_label,
    )


def _finish(report: IndexReport, manifest: Manifest, started: float) -> IndexReport:
    if report.rebuilt:
        report.added = len(manifest.pages)
    report.articles = len(manifest.pages)
    report.sections = sum(p.sections for p in manifest.pages.values())
    report.seconds = time.perf_counter() - started
    return report


def build_from_articles(
    index_dir: Path, articles: Iterable[Article], progress: Progress | None = None
) -> IndexReport:
    """Build a fresh index from articles already in memory (evaluation sets, benchmarks).

    :param progress: as for :func:`update_index`, with the phase "Indexing documents".
    """
    started = time.perf_counter()
    index_dir = Path(index_dir)
    articles = list(articles)
    if progress:
        progress("Indexing documents", 0, len(articles))
    with (
        writer_lock(index_dir),
        new_generation(index_dir, batch_pages=batch_pages(len(articles))) as draft,
    ):
        for done, article in enumerate(articles, 1):
            for doc in prepare_documents(article):
                draft.writer.add_document(**doc)
            draft.manifest.pages[article.id] = PageEntry(
                "", 0, 0, len(article.sections), article.topic, article.topic_label
            )
            draft.writer.page_done()
            if progress:
                progress("Indexing documents", done, len(articles))
        if progress:
            progress("Committing", 0, 1)
    if progress:
        progress("Committing", 1, 1)
    report = IndexReport(rebuilt=True, generation=draft.path.name)
    return _finish(report, draft.manifest, started)

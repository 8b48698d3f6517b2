"""The index on disk: schema, generations, incremental updates and the atomic switch.

An index folder holds generations (``gen-000001/`` ...), each a complete Whoosh index plus a
``manifest.json`` (which page produced which article, by content hash, and when it was
built), and a symlink ``current`` naming the live one. Every run, full or incremental, writes a
new generation and then repoints ``current`` with one atomic rename, so a reader never sees a
half-built index and a failed or killed run leaves the previous generation serving. An
incremental run starts its generation as hard links to the live one's files (Whoosh never
rewrites a segment file in place), so it costs what changed, not what exists. One writer at a
time is enforced with an advisory lock that dies with its process.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.formats import Positions
from whoosh.system import pack_uint

from . import __version__
from .corpus import PageFile, ParsedPage, content_hash, find_pages, parse_pages, read_page
from .extract import Article
from .ranking import exact_analyzer, term_positions, terms, text_analyzer, words

CURRENT = "current"
MANIFEST = "manifest.json"
LOCK_FILE = ".lock"
GEN_PREFIX = "gen-"
FORMAT = 3  # bump when the schema changes; an index of another format needs --rebuild
# A run commits a segment every MIN_BATCH_PAGES pages or every quarter of its pages, whichever
# is more: fewer segments read faster, more overlap writing with parsing (see BatchWriter).
MIN_BATCH_PAGES = 500
SEGMENTS_PER_REBUILD = 4


class IndexError_(Exception):
    status = 500


class IndexUnavailable(IndexError_):
    """There is no usable index yet (never built, or unreadable)."""

    status = 503


class IndexLocked(IndexError_):
    """Another process is writing this index."""

    status = 409


@dataclass(frozen=True)
class Prepared:
    """A field's postings, analysed ahead of time: (term bytes, freq, weight, value bytes)."""

    items: list


class PreparedText(TEXT):
    """A TEXT field that also takes ``Prepared`` postings.

    Analysis costs as much as HTML parsing; doing it in the parse workers lets both cores
    share it, leaving the single Whoosh writer only the writing.
    """

    def index(self, value, **kwargs):
        if isinstance(value, Prepared):
            return value.items
        return super().index(value, **kwargs)


def make_schema() -> Schema:
    """One document per article section.

    ``body`` (title + heading + section text) carries the ranking; ``title`` and ``heading``
    are indexed again on their own so a match there can be boosted, and ``exact`` holds
    body's words unstemmed so the word form the reader typed can be; ``text`` is stored for
    snippets.
    """
    ranked = text_analyzer()
    return Schema(
        key=ID(unique=True),
        article_id=ID(stored=True, sortable=True),
        anchor=STORED(),
        url=STORED(),
        published=STORED(),
        position=NUMERIC(stored=True),
        topic=ID(stored=True, sortable=True),
        title=PreparedText(analyzer=ranked, stored=True, phrase=False),
        heading=PreparedText(analyzer=ranked, stored=True, phrase=False),
        body=PreparedText(analyzer=ranked),
        exact=PreparedText(analyzer=exact_analyzer(), phrase=False),
        text=STORED(),
    )


def section_documents(article: Article) -> Iterator[dict]:
    """The Whoosh documents for one article, one per section."""
    for position, section in enumerate(article.sections):
        body = f"{article.title}\n{section.heading}\n{section.text}"
        yield {
            "key": f"{article.id}#{section.anchor}",
            "article_id": article.id,
            "anchor": section.anchor,
            "url": article.url,
            "published": article.published,
            "position": position,
            "topic": article.topic,
            "title": article.title,
            "heading": section.heading,
            "body": body,
            "exact": body,
            "text": section.text,
        }


def _positions(text: str) -> Prepared:
    """Postings of a positional field, as Whoosh's Positions format writes them."""
    found: dict[str, list[int]] = defaultdict(list)
    for pos, term in term_positions(text):
        found[term].append(pos)
    encode = _POSITIONS.encode
    return Prepared([(t.encode(), len(p), float(len(p)), encode(p)) for t, p in found.items()])


def _frequencies(tokens: list[str]) -> Prepared:
    """Postings of a frequency-only field."""
    counts = Counter(tokens)
    return Prepared([(t.encode(), n, float(n), pack_uint(n)) for t, n in counts.items()])


_POSITIONS = Positions()


def prepare_documents(article: Article) -> list[dict]:
    """``section_documents`` with the ranked fields analysed into ``Prepared`` postings.

    Runs in the parse workers. Uses ``ranking``'s fast analysis, which ``tests/test_ranking.py``
    holds equal to the schema's analyzer.
    """
    docs = []
    for doc in section_documents(article):
        doc["_stored_title"], doc["_stored_heading"] = doc["title"], doc["heading"]
        doc["title"] = _frequencies(terms(doc["title"]))
        doc["heading"] = _frequencies(terms(doc["heading"]))
        doc["exact"] = _frequencies(words(doc["exact"]))
        doc["body"] = _positions(doc["body"])
        docs.append(doc)
    return docs


# --- writing ---------------------------------------------------------------------------------


class SearchCodec(W3Codec):
    """Whoosh's W3 codec without per-block length statistics.

    Whoosh looks up every posting's field length while writing, to store each block's
    shortest and longest document for its own scorer's skipping; ranking here never uses
    them (see ``scorer``), and the lookups are a fifth of the writer's time.
    """

    length_stats = False


class BatchWriter:
    """A Whoosh writer that commits a segment every ``batch_pages`` pages.

    Whoosh sorts and writes all postings at commit. With one commit at the end, the parse
    workers would sit idle while the single writer does most of its work; committing as
    pages arrive overlaps that work with parsing (the workers run ahead). The generation is
    not live until the switch, so its half-written state is never seen.
    """

    def __init__(self, ix, batch_pages: int) -> None:
        self.ix = ix
        self.batch_pages = batch_pages
        self.pages = 0
        self.writer = self._open()

    def _open(self):
        return self.ix.writer(limitmb=256, codec=SearchCodec())

    def add_document(self, **doc) -> None:
        self.writer.add_document(**doc)

    def delete_by_term(self, fieldname: str, text: str) -> None:
        self.writer.delete_by_term(fieldname, text)

    def page_done(self) -> None:
        """Between pages, so a page's deletion and its sections land in the same segment."""
        self.pages += 1
        if self.pages % self.batch_pages == 0:
            self.writer.commit(merge=False)
            self.writer = self._open()

    def commit(self) -> None:
        self.writer.commit()

    def cancel(self) -> None:
        self.writer.cancel()


def batch_pages(pages: int) -> int:
    return max(MIN_BATCH_PAGES, -(-pages // SEGMENTS_PER_REBUILD))


# --- manifest ------------------------------------------------------------------------------


@dataclass
class PageEntry:
    sha: str
    size: int
    mtime_ns: int
    sections: int
    topic: str


@dataclass
class Manifest:
    built_at: str = ""
    version: str = __version__
    format: int = FORMAT
    pages: dict[str, PageEntry] = field(default_factory=dict)

    @property
    def sections(self) -> int:
        return sum(p.sections for p in self.pages.values())

    def topics(self) -> dict[str, int]:
        """Articles per topic, most first."""
        counts: dict[str, int] = {}
        for entry in self.pages.values():
            counts[entry.topic] = counts.get(entry.topic, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def save(self, gen_dir: Path) -> None:
        # A plain dict, not dataclasses.asdict: that deep-copies and costs seconds at 200k pages.
        data = {
            "built_at": self.built_at,
            "version": self.version,
            "format": self.format,
            "pages": {
                k: [e.sha, e.size, e.mtime_ns, e.sections, e.topic] for k, e in self.pages.items()
            },
        }
        tmp = gen_dir / (MANIFEST + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f, separators=(",", ":"))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, gen_dir / MANIFEST)

    @classmethod
    def load(cls, gen_dir: Path) -> Manifest:
        with open(gen_dir / MANIFEST, encoding="utf-8") as f:
            data = json.load(f)
        pages = {k: PageEntry(*v) for k, v in data.pop("pages").items()}
        return cls(pages=pages, **data)


# --- generations ----------------------------------------------------------------------------


def current_generation(index_dir: Path) -> Path | None:
    """The live generation's folder, or None when there is none."""
    link = Path(index_dir) / CURRENT
    try:
        target = os.readlink(link)
    except OSError:
        return None
    gen = Path(index_dir) / target
    return gen if gen.is_dir() else None


def generation_name(index_dir: Path) -> str | None:
    """The live generation's name: cheap enough to call on every request."""
    try:
        return os.readlink(Path(index_dir) / CURRENT)
    except OSError:
        return None


@dataclass
class OpenIndex:
    """A live generation opened for reading."""

    name: str
    path: Path
    index: whoosh_index.Index
    manifest: Manifest


def open_index(index_dir: Path) -> OpenIndex:
    """Open the live generation.

    :raise IndexUnavailable: when no index has been built there, or it cannot be read.
    """
    index_dir = Path(index_dir)
    gen = current_generation(index_dir)
    if gen is None:
        raise IndexUnavailable(
            f"no index in {index_dir}: build one with `searchsvc index CORPUS_DIR`"
        )
    try:
        manifest = Manifest.load(gen)
        if manifest.format != FORMAT:
            raise IndexUnavailable(
                f"index in {index_dir} has format {manifest.format}, this searchsvc reads "
                f"{FORMAT}: run `searchsvc index --rebuild`"
            )
        # Without mmap Whoosh 2.7.4 would copy every segment into each searcher's memory
        # (about 1 GB per searcher at a million sections); read-only, files are read on demand.
        ix = FileStorage(str(gen), readonly=True, supports_mmap=False).open_index()
    except (OSError, ValueError, KeyError, TypeError, whoosh_index.IndexError) as exc:
        raise IndexUnavailable(f"index in {index_dir} cannot be read: {exc}") from exc
    return OpenIndex(gen.name, gen, ix, manifest)


def _next_generation(index_dir: Path) -> Path:
    numbers = [
        int(p.name[len(GEN_PREFIX) :])
        for p in index_dir.glob(GEN_PREFIX + "*")
        if p.name[len(GEN_PREFIX) :].isdigit()
    ]
    return index_dir / f"{GEN_PREFIX}{max(numbers, default=0) + 1:06d}"


def _link_copy(src: Path, dst: Path) -> None:
    """Start ``dst`` as hard links to ``src``'s files (Whoosh writes new files, never edits)."""
    dst.mkdir()
    for f in src.iterdir():
        if f.is_file() and "LOCK" not in f.name and f.name != MANIFEST:
            os.link(f, dst / f.name)


def _switch_to(index_dir: Path, gen: Path) -> None:
    """Point ``current`` at ``gen`` in one atomic rename; readers see old or new, never half."""
    tmp = index_dir / f".{CURRENT}.tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(gen.name, tmp)
    os.replace(tmp, index_dir / CURRENT)
    fd = os.open(index_dir, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_stale_generations(index_dir: Path, keep: set[str]) -> None:
    """Drop generations other than ``keep``.

    Processes still reading a removed one keep their open files (POSIX), so this is safe.
    """
    for gen in index_dir.glob(GEN_PREFIX + "*"):
        if gen.name not in keep:
            shutil.rmtree(gen, ignore_errors=True)


@contextmanager
def writer_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index's single-writer lock.

    :raise IndexLocked: when another process holds it.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(index_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise IndexLocked(
                f"another `searchsvc index` (pid {holder}) is writing {index_dir}; "
                "wait for it to finish, then run again"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock


# --- building -------------------------------------------------------------------------------


@dataclass
class IndexReport:
    """What one ``searchsvc index`` run did."""

    articles: int = 0
    sections: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    seconds: float = 0.0
    generation: str = ""
    rebuilt: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.rebuilt)

    def summary(self) -> str:
        return (
            f"{self.articles} articles, {self.sections} sections: {self.added} added, "
            f"{self.updated} updated, {self.removed} removed, {len(self.skipped)} skipped "
            f"in {self.seconds:.2f}s"
        )


Progress = Callable[[int], None]


def _split_by_change(
    pages: list[PageFile], old: dict[str, PageEntry]
) -> tuple[list[PageFile], dict[str, PageEntry]]:
    """Pages whose content changed since ``old`` (by hash), and the unchanged entries.

    Size and mtime equal to the manifest's means unchanged without reading the file; otherwise
    the content hash decides, so a touched-but-identical page costs a read, not a parse.
    """
    todo, same = [], {}
    for page in pages:
        entry = old.get(page.id)
        if entry is not None:
            if (entry.size, entry.mtime_ns) == (page.size, page.mtime_ns):
                same[page.id] = entry
                continue
            try:
                sha = content_hash(read_page(page.path))
            except (OSError, EOFError):
                sha = ""
            if sha == entry.sha:
                same[page.id] = PageEntry(
                    sha, page.size, page.mtime_ns, entry.sections, entry.topic
                )
                continue
        todo.append(page)
    return todo, same


def _entry(parsed: ParsedPage) -> PageEntry:
    a = parsed.article
    assert a is not None
    return PageEntry(parsed.sha, parsed.page.size, parsed.page.mtime_ns, len(a.sections), a.topic)


def update_index(
    corpus_dir: Path,
    index_dir: Path,
    *,
    rebuild: bool = False,
    workers: int = 2,
    base_url: str = "",
    progress: Progress | None = None,
    on_start: Callable[[int], None] | None = None,
) -> IndexReport:
    """Bring the index in line with the corpus: a new generation, then an atomic switch.

    Incremental by default: only added, changed (by content hash) and removed pages are
    touched. A page that fails to parse is reported and skipped; if an earlier version of it
    is indexed, that version stays. Nothing changes on disk when nothing changed.

    :param progress: called with the number of pages handled since the last call.
    :param on_start: called once with the number of pages that will be parsed.
    :raise CorpusNotFound: when ``corpus_dir`` is not a folder.
    :raise IndexLocked: when another run holds the index.
    """
    started = time.perf_counter()
    index_dir = Path(index_dir)
    pages = find_pages(Path(corpus_dir))
    with writer_lock(index_dir):
        live = current_generation(index_dir)
        _remove_stale_generations(index_dir, keep={live.name} if live else set())
        old = Manifest.load(live) if live and not rebuild else None
        if old is not None and old.format != FORMAT:
            old = None  # an index of another format is rebuilt, never patched
        report = IndexReport(rebuilt=old is None)
        manifest = Manifest()
        if old is None:
            todo, manifest.pages = pages, {}
        else:
            todo, manifest.pages = _split_by_change(pages, old.pages)
        gone = sorted(set(old.pages) - {p.id for p in pages}) if old else []
        report.unchanged = len(manifest.pages)
        if on_start:
            on_start(len(todo))

        gen = _next_generation(index_dir)
        try:
            if old is None:
                gen.mkdir()
                ix = whoosh_index.create_in(str(gen), make_schema())
            else:
                if not todo and not gone:
                    report.generation = live.name if live else ""
                    return _finish(report, old, started)
                _link_copy(live, gen)
                ix = whoosh_index.open_dir(str(gen))
            writer = BatchWriter(ix, batch_pages(len(todo)))
            try:
                for article_id in gone:
                    writer.delete_by_term("article_id", article_id)
                    report.removed += 1
                parsed_pages = parse_pages(
                    todo, base_url=base_url, workers=workers, prepare=prepare_documents
                )
                for parsed in parsed_pages:
                    _apply(parsed, writer, manifest, old, report)
                    writer.page_done()
                    if progress:
                        progress(1)
                writer.commit()
            except BaseException:
                writer.cancel()
                raise
            manifest.built_at = datetime.now(UTC).isoformat(timespec="seconds")
            manifest.save(gen)
            _switch_to(index_dir, gen)
        except BaseException:
            shutil.rmtree(gen, ignore_errors=True)
            raise
        _remove_stale_generations(index_dir, keep={gen.name} | ({live.name} if live else set()))
        report.generation = gen.name
        return _finish(report, manifest, started)


def _apply(
    parsed: ParsedPage, writer, manifest: Manifest, old: Manifest | None, report: IndexReport
) -> None:
    """Write one parsed page into the generation being built and account for it."""
    page_id = parsed.page.id
    previous = old.pages.get(page_id) if old else None
    if parsed.article is None:
        report.skipped.append((str(parsed.page.path), parsed.error or "unknown error"))
        if previous is not None:
            manifest.pages[page_id] = previous  # keep the last good version serving
        return
    if previous is not None:
        writer.delete_by_term("article_id", page_id)
        report.updated += 1
    elif old is not None:
        report.added += 1
    for doc in parsed.prepared or prepare_documents(parsed.article):
        writer.add_document(**doc)
    manifest.pages[page_id] = _entry(parsed)


def _finish(report: IndexReport, manifest: Manifest, started: float) -> IndexReport:
    if report.rebuilt:
        report.added = len(manifest.pages)
    report.articles = len(manifest.pages)
    report.sections = manifest.sections
    report.seconds = time.perf_counter() - started
    return report


def build_from_articles(index_dir: Path, articles: Iterable[Article]) -> IndexReport:
    """Build a fresh index from articles already in memory (evaluation sets, tests)."""
    started = time.perf_counter()
    index_dir = Path(index_dir)
    with writer_lock(index_dir):
        gen = _next_generation(index_dir)
        gen.mkdir()
        ix = whoosh_index.create_in(str(gen), make_schema())
        manifest = Manifest()
        articles = list(articles)
        writer = BatchWriter(ix, batch_pages(len(articles)))
        try:
            for article in articles:
                for doc in prepare_documents(article):
                    writer.add_document(**doc)
                manifest.pages[article.id] = PageEntry(
                    "", 0, 0, len(article.sections), article.topic
                )
                writer.page_done()
            writer.commit()
        except BaseException:
            writer.cancel()
            shutil.rmtree(gen, ignore_errors=True)
            raise
        manifest.built_at = datetime.now(UTC).isoformat(timespec="seconds")
        manifest.save(gen)
        _switch_to(index_dir, gen)
    return _finish(IndexReport(rebuilt=True), manifest, started)

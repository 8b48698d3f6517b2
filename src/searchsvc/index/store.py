"""Generations on disk: the ``current`` link, the writer lock, and writing one atomically.

An index folder holds generations (``gen-000001/`` ...), each a complete Whoosh index plus two
files: ``generation.json``, a small record servers read (when it was built, with what settings,
how many articles, sections and articles per topic), and ``manifest.json``, the page table only
writers read (which page produced which article, by content hash). A symlink ``current`` names
the live generation. Every write goes through :func:`new_generation`: it builds in a fresh
folder and, on success, commits, writes both files, repoints ``current`` with one atomic rename
and removes stale generations; on failure it deletes the folder, so a reader never sees a
half-built index and a failed or killed run leaves the previous generation serving. An
incremental generation starts as hard links to the live one's files (Whoosh never rewrites a
segment file in place), so it costs what changed. One writer at a time is enforced with an
advisory lock that dies with its process; a lock whose writer is gone is taken over (see
:func:`writer_lock`). Every OS error while writing becomes :class:`IndexWriteError`, a one-line
message naming the folder, with the live generation as it was.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage

from .. import __version__
from .._whoosh import SearchCodec
from ..errors import IndexLocked, IndexUnavailable, IndexWriteError
from ..text import topic_label
from .schema import make_schema

CURRENT = "current"
RECORD = "generation.json"
MANIFEST = "manifest.json"
LOCK_FILE = ".lock"
GEN_PREFIX = "gen-"
FORMAT = 4  # bump when the schema or these files change; another format needs a rebuild
WRITER_MB = 256


# --- the two files of a generation -----------------------------------------------------------


@dataclass
class GenerationRecord:
    """What a server needs to know about a generation, written once when it is built."""

    built_at: str = ""
    version: str = __version__
    format: int = FORMAT
    articles: int = 0
    sections: int = 0
    topics: dict[str, int] = field(default_factory=dict)  # articles per topic, most first
    topic_labels: dict[str, str] = field(default_factory=dict)  # slug -> label to show
    settings: dict[str, str] = field(default_factory=dict)  # what it was built with

    def save(self, gen_dir: Path) -> None:
        _write_json(gen_dir / RECORD, asdict(self))

    @classmethod
    def load(cls, gen_dir: Path) -> GenerationRecord:
        with open(gen_dir / RECORD, encoding="utf-8") as f:
            data = json.load(f)
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class PageEntry:
    sha: str
    size: int
    mtime_ns: int
    sections: int
    topic: str
    topic_label: str = ""


@dataclass
class Manifest:
    """The page table: every indexed page's content hash and what it produced."""

    format: int = FORMAT
    pages: dict[str, PageEntry] = field(default_factory=dict)

    def record(self, settings: dict[str, str]) -> GenerationRecord:
        counts: dict[str, int] = {}
        labels: dict[str, str] = {}
        for entry in self.pages.values():
            counts[entry.topic] = counts.get(entry.topic, 0) + 1
            if entry.topic_label and not labels.get(entry.topic):
                labels[entry.topic] = entry.topic_label  # the first name a page gives it
        return GenerationRecord(
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            articles=len(self.pages),
            sections=sum(p.sections for p in self.pages.values()),
            topics=dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
            topic_labels={slug: topic_label(slug, labels.get(slug, "")) for slug in counts},
            settings=dict(settings),
        )

    def save(self, gen_dir: Path) -> None:
        # Lists, not dataclasses.asdict: that deep-copies and costs seconds at 200k pages.
        pages = {
            k: [e.sha, e.size, e.mtime_ns, e.sections, e.topic, e.topic_label]
            for k, e in self.pages.items()
        }
        _write_json(gen_dir / MANIFEST, {"format": self.format, "pages": pages})

    @classmethod
    def load(cls, gen_dir: Path) -> Manifest:
        with open(gen_dir / MANIFEST, encoding="utf-8") as f:
            data = json.load(f)
        pages = {k: PageEntry(*v) for k, v in data.get("pages", {}).items()}
        return cls(format=data.get("format", 0), pages=pages)


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, separators=(",", ":"), ensure_ascii=False)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# --- the live generation ---------------------------------------------------------------------


def generation_name(index_dir: Path) -> str | None:
    """The live generation's name: one readlink, cheap enough for every request."""
    try:
        return os.readlink(Path(index_dir) / CURRENT)
    except OSError:
        return None


def current_generation(index_dir: Path) -> Path | None:
    """The live generation's folder, or None when there is none."""
    name = generation_name(index_dir)
    if name is None:
        return None
    gen = Path(index_dir) / name
    return gen if gen.is_dir() else None


def is_current_format(gen_dir: Path) -> bool:
    try:
        return GenerationRecord.load(gen_dir).format == FORMAT
    except (OSError, ValueError, TypeError):
        return False


@dataclass
class OpenGeneration:
    """A generation opened for reading: its name, folder, Whoosh index and record."""

    name: str
    path: Path
    index: whoosh_index.Index
    record: GenerationRecord


def open_generation(index_dir: Path, name: str | None = None) -> OpenGeneration:
    """Open generation ``name`` (default: the live one) for reading.

    :raise IndexUnavailable: when no index has been built there, it has another format, or it
        cannot be read.
    """
    index_dir = Path(index_dir)
    name = name or generation_name(index_dir)
    gen = index_dir / name if name else None
    if gen is None or not gen.is_dir():
        raise IndexUnavailable(
            f"no index in {index_dir}: build one with `searchsvc index CORPUS_DIR`"
        )
    try:
        record = GenerationRecord.load(gen)
    except FileNotFoundError:
        record = GenerationRecord(format=0)  # written by a release before generation records
    except (OSError, ValueError, TypeError) as exc:
        raise IndexUnavailable(f"index in {index_dir} cannot be read: {exc}") from exc
    if record.format != FORMAT:
        raise IndexUnavailable(
            f"index in {index_dir} has an older or newer format ({record.format}) than this "
            f"searchsvc reads ({FORMAT}): run `searchsvc index --rebuild`"
        )
    try:
        # Without mmap Whoosh 2.7.4 would copy every segment into each searcher's memory
        # (about 1 GB per searcher at a million sections); read-only, files are read on demand.
        ix = FileStorage(str(gen), readonly=True, supports_mmap=False).open_index()
    except (OSError, ValueError, KeyError, TypeError, whoosh_index.IndexError) as exc:
        raise IndexUnavailable(f"index in {index_dir} cannot be read: {exc}") from exc
    return OpenGeneration(gen.name, gen, ix, record)


# --- the writer lock -------------------------------------------------------------------------


@dataclass
class WriterLock:
    """The held single-writer lock: its descriptor (parse workers close their inherited copy)
    and what was found of an earlier run that never released it, if one was."""

    fd: int
    path: Path
    stale: str = ""  # e.g. "a previous `searchsvc index` (pid 123) did not finish: ..."


@contextmanager
def writer_lock(index_dir: Path) -> Iterator[WriterLock]:
    """Hold the index's single-writer lock, an ``flock`` on ``.lock`` holding the writer's pid.

    The kernel drops the lock when the writer dies, however it dies. A lock still held while
    the pid in the file is no live process holding the file (a run killed while processes it
    forked lived on, as parse workers did before they died with their parent) is stale: it is
    taken over, and :attr:`WriterLock.stale` says so.

    :raise IndexLocked: when another live process holds it.
    :raise IndexWriteError: when the folder or the lock file cannot be created or opened.
    """
    index_dir = Path(index_dir)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IndexWriteError(
            f"cannot create the index folder {index_dir}: {_reason(exc)}"
        ) from None
    lock = _acquire(index_dir)
    try:
        yield lock
    finally:
        with suppress(OSError):
            os.ftruncate(lock.fd, 0)  # a pid left in the file means a run that did not finish
        os.close(lock.fd)  # closing releases the lock


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _open_lock(path: Path) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        if exc.errno in (errno.EROFS, errno.ENOSPC, errno.EDQUOT):
            raise IndexWriteError(
                f"cannot write the index in {path.parent}: {_reason(exc)}"
            ) from None
        raise IndexWriteError(f"cannot open the index lock {path}: {_reason(exc)}") from None


def _try_flock(fd: int, path: Path) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return False
        os.close(fd)
        raise IndexWriteError(f"cannot lock the index lock {path}: {_reason(exc)}") from None
    return True


def _acquire(index_dir: Path) -> WriterLock:
    path = index_dir / LOCK_FILE
    while True:
        fd = _open_lock(path)
        if not _try_flock(fd, path):
            os.close(fd)
            return _take_over_if_stale(index_dir, path)
        if _same_file(fd, path):  # not replaced by a take-over since we opened it
            return _claim(fd, path, stale=_leftover_note(fd))
        os.close(fd)


def _claim(fd: int, path: Path, stale: str) -> WriterLock:
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
    except OSError as exc:  # a full disk, typically
        os.close(fd)
        raise _write_error(path.parent, exc) from None
    return WriterLock(fd, path, stale)


def _same_file(fd: int, path: Path) -> bool:
    try:
        st = path.stat()
    except OSError:
        return False
    held = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (held.st_dev, held.st_ino)


def _holder(fd: int) -> int | None:
    """The pid written in the lock file; a writer writes it right after locking, so an empty
    file is re-read for a moment before giving up."""
    for _ in range(10):
        text = os.pread(fd, 32, 0).decode(errors="replace").strip()
        if text.isdigit():
            return int(text)
        time.sleep(0.05)
    return None


def _leftover_note(fd: int) -> str:
    pid = _holder_now(fd)
    if pid is None or pid == os.getpid():
        return ""
    return (
        f"a previous `searchsvc index` (pid {pid}) did not finish (killed?): its lock was "
        "stale; going on"
    )


def _holder_now(fd: int) -> int | None:
    text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return int(text) if text.isdigit() else None


def _holds_open(pid: int, fd: int) -> bool:
    """Whether process ``pid`` is alive and has the lock file open (so it may hold the lock).

    Read from /proc; when that cannot say (another user's process, no /proc), a live process is
    taken to hold it.
    """
    held = os.fstat(fd)
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except FileNotFoundError:
        return _alive(pid) and not os.path.isdir("/proc/self/fd")
    except OSError:
        return _alive(pid)
    for name in names:
        try:
            st = os.stat(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue
        if (st.st_dev, st.st_ino) == (held.st_dev, held.st_ino):
            return True
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _lock_holders(fd: int) -> list[int]:
    """Pids of the processes that have the lock file open, from /proc (empty without it)."""
    return [pid for pid in _pids() if pid != os.getpid() and _holds_open(pid, fd)]


def _pids() -> list[int]:
    try:
        return sorted(int(name) for name in os.listdir("/proc") if name.isdigit())
    except OSError:
        return []


def _take_over_if_stale(index_dir: Path, path: Path) -> WriterLock:
    """The lock is held: refuse when its writer lives, else replace the lock file and hold the
    new one. Take-overs are serialised by a second lock, held only for this moment (nothing
    forks while it is held), so two of them never both win."""
    guard = _open_lock(index_dir / (LOCK_FILE + ".takeover"))
    try:
        fcntl.flock(guard, fcntl.LOCK_EX)
        fd = _open_lock(path)
        try:
            if _try_flock(fd, path):  # freed meanwhile; nobody replaces it while we hold guard
                return _claim(fd, path, stale=_leftover_note(fd))
            pid = _holder(fd)
            if pid is None or _holds_open(pid, fd):
                raise IndexLocked(
                    f"another `searchsvc index` (pid {pid or '?'}) is writing {index_dir}; "
                    "wait for it to finish, then run again"
                )
            others = ", ".join(map(str, _lock_holders(fd))) or "unknown"
        finally:
            os.close(fd)
        fresh = path.with_name(f"{LOCK_FILE}.{os.getpid()}.tmp")
        new_fd = _open_lock(fresh)
        if not _try_flock(new_fd, fresh):  # cannot happen: nobody else knows this file yet
            os.close(new_fd)
            raise IndexLocked(f"cannot take over the stale lock of {index_dir}; run again")
        lock = _claim(
            new_fd,
            path,
            stale=(
                f"a previous `searchsvc index` (pid {pid}) is gone, but processes it started "
                f"({others}) still held its lock: the lock was stale; going on"
            ),
        )
        try:
            os.replace(fresh, path)
        except OSError as exc:
            os.close(new_fd)
            raise _write_error(index_dir, exc) from None
        return lock
    finally:
        os.close(guard)


# --- writing a generation --------------------------------------------------------------------


class BatchWriter:
    """A Whoosh writer that commits a segment every ``batch_pages`` pages.

    Whoosh sorts and writes all postings at commit. With one commit at the end, the parse
    workers would sit idle while the single writer does most of its work; committing as
    pages arrive overlaps that work with parsing (the workers run ahead). The generation is
    not live until the switch, so its half-written state is never seen.
    """

    def __init__(self, ix: whoosh_index.Index, batch_pages: int) -> None:
        self.ix = ix
        self.batch_pages = batch_pages
        self.pages = 0
        self.writer = self._open()

    def _open(self):
        return self.ix.writer(limitmb=WRITER_MB, codec=SearchCodec())

    def add_document(self, **doc) -> None:
        self.writer.add_document(**doc)

    def delete_article(self, article_id: str) -> None:
        self.writer.delete_by_term("article_id", article_id)

    def page_done(self) -> None:
        """Between pages, so a page's deletion and its sections land in the same segment."""
        self.pages += 1
        if self.pages % self.batch_pages == 0:
            self.writer.commit(merge=False)
            self.writer = self._open()

    def commit(self) -> None:
        self.writer.commit()

    def cancel(self) -> None:
        """Give the writer up; after a failed commit Whoosh may fail again here, which is not
        news (the generation's folder is deleted next), so it is not raised."""
        with suppress(Exception):
            self.writer.cancel()


@dataclass
class Draft:
    """A generation being written: fill ``manifest`` while writing with ``writer``."""

    path: Path
    writer: BatchWriter
    manifest: Manifest
    settings: dict[str, str]
    discarded: bool = False

    def discard(self) -> None:
        """Nothing changed after all: write no generation, keep the live one serving."""
        self.discarded = True


@contextmanager
def new_generation(
    index_dir: Path,
    *,
    batch_pages: int,
    base: Path | None = None,
    manifest: Manifest | None = None,
    settings: dict[str, str] | None = None,
) -> Iterator[Draft]:
    """Write a new generation and make it live; the one sequence every writer uses.

    Call with the writer lock held. ``base`` (the live generation) makes it incremental: the
    new folder starts as hard links to its files. On success: commit, write the manifest and
    the record, switch ``current`` to it, remove stale generations. On any failure: cancel
    and delete the folder, leaving the live generation as it was.
    """
    index_dir = Path(index_dir)
    gen = _next_generation(index_dir)
    try:
        if base is None:
            gen.mkdir()
            ix = whoosh_index.create_in(str(gen), make_schema())
        else:
            _link_copy(base, gen)
            ix = whoosh_index.open_dir(str(gen))
        draft = Draft(gen, BatchWriter(ix, batch_pages), manifest or Manifest(), settings or {})
        try:
            yield draft
            if draft.discarded:
                draft.writer.cancel()
            else:
                draft.writer.commit()
        except BaseException:
            draft.writer.cancel()
            raise
        if not draft.discarded:
            draft.manifest.save(gen)
            draft.manifest.record(draft.settings).save(gen)
            _switch_to(index_dir, gen)
    except BaseException as exc:
        shutil.rmtree(gen, ignore_errors=True)
        if isinstance(exc, OSError):
            raise _write_error(index_dir, exc) from exc
        raise
    if draft.discarded:
        shutil.rmtree(gen, ignore_errors=True)
        if base is not None:
            # Servers never read the page table: refreshing sizes and mtimes in place spares
            # the next run re-reading pages that were only touched.
            try:
                draft.manifest.save(base)
            except OSError as exc:
                raise _write_error(index_dir, exc) from exc
        return
    remove_stale_generations(index_dir, keep={gen.name} | ({base.name} if base else set()))


def _write_error(index_dir: Path, exc: OSError) -> IndexWriteError:
    return IndexWriteError(
        f"cannot write the index in {index_dir}: {_reason(exc)}; the live index is unchanged"
    )


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
        if (
            f.is_file()
            and "LOCK" not in f.name
            and f.name not in (MANIFEST, RECORD)
            and not f.name.endswith(".tmp")  # left by a killed run; a hard link would share it
        ):
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


def remove_stale_generations(index_dir: Path, keep: set[str]) -> None:
    """Drop generations other than ``keep``.

    Processes still reading a removed one keep their open files (POSIX), so this is safe.
    """
    for gen in Path(index_dir).glob(GEN_PREFIX + "*"):
        if gen.name not in keep:
            shutil.rmtree(gen, ignore_errors=True)

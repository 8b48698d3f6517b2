"""The corpus on disk: which files are pages, their ids and hashes, and parsing them in bulk.

A corpus is a folder tree of HTML pages (``.html``/``.htm``, optionally gzipped). A page's id
is its path below the corpus root without the extension, '/'-separated, and its first folder
is the topic of last resort. This module also decides which pages changed since the last run
(:func:`changed_pages`): size and modification time first, then the content hash, computed once,
in the parse worker that reads the page anyway. Parsing is the slow part of indexing, so
``parse_pages`` spreads it over worker processes; it never raises for one bad page, it reports it.
"""

from __future__ import annotations

import ctypes
import errno
import gzip
import hashlib
import multiprocessing
import os
import signal
import stat
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from .config import from_env, setting
from .errors import CorpusNotFound, CorpusUnreadable, ExtractError
from .extract import Article, extract_article

PAGE_SUFFIXES = (".html.gz", ".htm.gz", ".html", ".htm")


@dataclass(frozen=True)
class PageFile:
    """One page on disk, as found by the walk (nothing read yet)."""

    path: Path
    id: str
    size: int
    mtime_ns: int
    known_sha: str = ""  # the content hash indexed last time, when size or mtime moved

    @property
    def default_topic(self) -> str:
        parts = self.id.split("/")
        return parts[0] if len(parts) > 1 else ""


@dataclass(frozen=True)
class ParsedPage:
    """The outcome of reading and extracting one page: an article or a reason."""

    page: PageFile
    sha: str
    article: Article | None = None
    error: str | None = None
    prepared: Any = None  # what ``prepare`` made of the article, in the worker
    unchanged: bool = False  # touched, but the same bytes as ``page.known_sha``: not parsed


def is_page(name: str) -> bool:
    return name.lower().endswith(PAGE_SUFFIXES)


def page_id(path: Path, root: Path) -> str:
    """'medicines/ibuprofen.html' -> 'medicines/ibuprofen' (relative to root, '/'-separated)."""
    rel = path.relative_to(root).as_posix()
    lower = rel.lower()
    for suffix in PAGE_SUFFIXES:
        if lower.endswith(suffix):
            return rel[: -len(suffix)]
    return rel


@dataclass(frozen=True)
class Unreadable:
    """A folder or page file the walk could not read: an error for its pages, never a removal.

    ``id`` is the page's id, or for a folder the prefix of its pages' ids ("sleep/").
    """

    path: Path
    id: str
    reason: str

    def covers(self, page_id: str) -> bool:
        return page_id == self.id or (self.id.endswith("/") and page_id.startswith(self.id))


@dataclass
class CorpusScan:
    """What a walk of the corpus found: the pages, what could not be read, and what was left
    out on purpose (links out of the corpus, files that are not regular files)."""

    pages: list[PageFile] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)
    excluded: list[tuple[Path, str]] = field(default_factory=list)  # (path, reason)


def scan_corpus(root: Path, *, follow_external_links: bool = False) -> CorpusScan:
    """Walk ``root`` for pages; hidden files and folders are skipped, links to folders are not
    followed, and links to files outside ``root`` are left out unless ``follow_external_links``.

    Nothing below ``root`` stops the walk: a folder or file that cannot be read (permissions, a
    broken link, a link loop, a file deleted while the walk ran) is listed in ``unreadable``.

    :raise CorpusNotFound: when ``root`` is not a folder.
    :raise CorpusUnreadable: when ``root`` itself cannot be listed.
    """
    root = Path(root)
    if not root.is_dir():
        raise CorpusNotFound(f"corpus folder not found: {root}")
    real_root = root.resolve()
    scan = CorpusScan()
    folders = [root]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as exc:
            if folder == root:
                raise CorpusUnreadable(
                    f"cannot read the corpus folder {root}: {_reason(exc)}"
                ) from None
            prefix = folder.relative_to(root).as_posix() + "/"
            reason = f"cannot read folder: {_reason(exc)}"
            scan.unreadable.append(Unreadable(folder, prefix, reason))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if _is_folder(entry):
                folders.append(Path(entry.path))
            elif is_page(entry.name):
                _add_page(scan, Path(entry.path), root, real_root, follow_external_links)
    scan.pages.sort(key=lambda p: p.id)
    return scan


def find_pages(root: Path, *, follow_external_links: bool = False) -> list[PageFile]:
    """All readable pages below ``root``, sorted by id (see :func:`scan_corpus`).

    :raise CorpusNotFound: when ``root`` is not a folder.
    :raise CorpusUnreadable: when ``root`` itself cannot be listed.
    """
    return scan_corpus(root, follow_external_links=follow_external_links).pages


def _is_folder(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _add_page(
    scan: CorpusScan, path: Path, root: Path, real_root: Path, follow_external_links: bool
) -> None:
    pid = page_id(path, root)
    try:
        st = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            reason = f"broken link (to {os.readlink(path)}): its target does not exist"
        else:
            reason = "vanished while the corpus was read"
        scan.unreadable.append(Unreadable(path, pid, reason))
        return
    except OSError as exc:
        reason = "link loop" if exc.errno == errno.ELOOP else "cannot read"
        scan.unreadable.append(Unreadable(path, pid, f"{reason}: {_reason(exc)}"))
        return
    if not follow_external_links and path.is_symlink():
        target = path.resolve()
        if not target.is_relative_to(real_root):
            scan.excluded.append(
                (
                    path,
                    f"links outside the corpus folder (to {target}): not indexed; set "
                    "SEARCHSVC_FOLLOW_EXTERNAL_LINKS=1 to index such links",
                )
            )
            return
    if not stat.S_ISREG(st.st_mode):
        scan.excluded.append((path, "not a regular file: not indexed"))
        return
    scan.pages.append(PageFile(path, pid, st.st_size, st.st_mtime_ns))


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


MB = 1024 * 1024


def read_page(
    path: Path, max_page_mb: int | None = None, max_decompressed_mb: int | None = None
) -> bytes:
    """The page's bytes, gunzipped when the name ends in .gz, within the size limits.

    The file's size is checked before it is read, and a .gz file is decompressed a bounded
    amount at a time, so a huge page or a gzip bomb costs neither the memory nor the time.

    :param max_page_mb: largest file on disk (default ``SEARCHSVC_MAX_PAGE_MB``).
    :param max_decompressed_mb: largest page once gunzipped (``SEARCHSVC_MAX_DECOMPRESSED_MB``).
    :raise ExtractError: a file or its decompressed page over its limit, naming both sizes
        and the setting to raise.
    :raise OSError, EOFError, gzip.BadGzipFile: an unreadable file or a broken gzip stream.
    """
    page_limit = _limit("MAX_PAGE_MB", max_page_mb)
    path = Path(path)
    with path.open("rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size > page_limit:
            raise ExtractError(_too_large("file", size, page_limit, "MAX_PAGE_MB"))
        if not path.name.lower().endswith(".gz"):
            data = f.read(page_limit + 1)
            if len(data) > page_limit:  # grew since the check
                raise ExtractError(_too_large("file", len(data), page_limit, "MAX_PAGE_MB"))
            return data
        limit = _limit("MAX_DECOMPRESSED_MB", max_decompressed_mb)
        with gzip.GzipFile(fileobj=f) as unzipped:
            data = unzipped.read(limit + 1)
        if len(data) > limit:
            what = f"gzip file of {size:,} bytes: page"
            raise ExtractError(_too_large(what, None, limit, "MAX_DECOMPRESSED_MB"))
        return data


def _limit(name: str, given: int | None) -> int:
    return (int(from_env(name)) if given is None else given) * MB  # type: ignore[arg-type]


def _too_large(what: str, size: int | None, limit: int, name: str) -> str:
    """ "file of 60,000,000 bytes is over the 8 MB limit (SEARCHSVC_MAX_PAGE_MB)" """
    told = f"{what} of {size:,} bytes" if size is not None else f"{what} more than {limit:,} bytes"
    return f"too large: {told} is over the {limit // MB} MB limit ({setting(name).envvar})"


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class PageState(NamedTuple):
    """What the last run saw of a page."""

    sha: str
    size: int
    mtime_ns: int


def changed_pages(
    pages: Iterable[PageFile], known: Mapping[str, PageState]
) -> tuple[list[PageFile], list[PageFile]]:
    """(pages to parse, pages unchanged) against what the last run saw.

    Equal size and mtime means unchanged without reading the file. A known page whose size or
    mtime moved goes to the parser with its old hash: the worker reads and hashes it once, and
    a touched-but-identical page costs that read, not a parse (``ParsedPage.unchanged``).
    """
    todo, same = [], []
    for page in pages:
        state = known.get(page.id)
        if state is None:
            todo.append(page)
        elif (state.size, state.mtime_ns) == (page.size, page.mtime_ns):
            same.append(page)
        else:
            todo.append(replace(page, known_sha=state.sha))
    return todo, same


Prepare = Callable[[Article], Any]


def parse_page(page: PageFile, base_url: str = "", prepare: Prepare | None = None) -> ParsedPage:
    """Read, hash and extract one page; every failure becomes ``error`` with a reason.

    :param prepare: more per-article work to do here, in the worker (the indexer analyses
        the text, which costs as much as parsing it).
    """
    try:
        data = read_page(page.path)
    except ExtractError as exc:
        return ParsedPage(page, "", error=str(exc))
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        return ParsedPage(page, "", error=f"cannot read: {exc}")
    sha = content_hash(data)
    if page.known_sha and sha == page.known_sha:
        return ParsedPage(page, sha, unchanged=True)
    try:
        article = extract_article(
            data,
            article_id=page.id,
            base_url=base_url,
            default_topic=page.default_topic,
            max_tags=int(from_env("MAX_PAGE_TAGS")),  # type: ignore[call-overload]
        )
    except ExtractError as exc:
        return ParsedPage(page, sha, error=str(exc))
    except Exception as exc:  # a parser bug on one page must not stop the batch
        return ParsedPage(page, sha, error=f"cannot parse: {type(exc).__name__}: {exc}")
    try:
        prepared = prepare(article) if prepare else None
    except Exception as exc:
        return ParsedPage(page, sha, error=f"cannot analyse: {type(exc).__name__}: {exc}")
    return ParsedPage(page, sha, article=article, prepared=prepared)


def parse_pages(
    pages: Iterable[PageFile],
    base_url: str = "",
    workers: int = 1,
    prepare: Prepare | None = None,
    close_fds: Iterable[int] = (),
) -> Iterator[ParsedPage]:
    """Parse pages in order, over ``workers`` processes when there are enough pages to pay.

    The workers are forked (they start at once, with the code loaded) and die with the process
    that started them, however it dies: a killed run leaves none behind.

    :param close_fds: descriptors the workers close at start, so none of them holds what the
        parent holds (the index's writer lock).
    """
    pages = list(pages)
    parse = partial(parse_page, base_url=base_url, prepare=prepare)
    if workers <= 1 or len(pages) < 2 * workers:
        yield from map(parse, pages)
        return
    chunksize = max(1, min(64, len(pages) // (workers * 8)))
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start_worker,
        initargs=(os.getpid(), tuple(close_fds)),
    ) as pool:
        yield from pool.map(parse, pages, chunksize=chunksize)


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _start_worker(parent: int, close_fds: tuple[int, ...]) -> None:
    """In each parse worker: be killed when the parent dies, and drop the parent's locks."""
    with suppress(OSError, AttributeError):  # not Linux: they end when their queue closes
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)
    for fd in close_fds:
        with suppress(OSError):
            os.close(fd)

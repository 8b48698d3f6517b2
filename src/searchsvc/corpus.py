"""The corpus on disk: which files are pages, their ids and hashes, and parsing them in bulk.

A corpus is a folder tree of HTML pages (``.html``/``.htm``, optionally gzipped). A page's id
is its path below the corpus root without the extension, '/'-separated, and its first folder
is the topic of last resort. This module also decides which pages changed since the last run
(:func:`changed_pages`): size and modification time first, then the content hash, computed once,
in the parse worker that reads the page anyway. Parsing is the slow part of indexing, so
``parse_pages`` spreads it over worker processes; it never raises for one bad page, it reports it.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from .config import from_env, setting
from .errors import CorpusNotFound, ExtractError
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


def find_pages(root: Path) -> list[PageFile]:
    """All pages below ``root``, sorted by id; hidden files and folders are skipped.

    :raise CorpusNotFound: when ``root`` is not a folder.
    """
    root = Path(root)
    if not root.is_dir():
        raise CorpusNotFound(f"corpus folder not found: {root}")
    pages = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.startswith(".") or not is_page(name):
                continue
            path = Path(dirpath) / name
            st = path.stat()
            pages.append(PageFile(path, page_id(path, root), st.st_size, st.st_mtime_ns))
    pages.sort(key=lambda p: p.id)
    return pages


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
) -> Iterator[ParsedPage]:
    """Parse pages in order, over ``workers`` processes when there are enough pages to pay."""
    pages = list(pages)
    parse = partial(parse_page, base_url=base_url, prepare=prepare)
    if workers <= 1 or len(pages) < 2 * workers:
        yield from map(parse, pages)
        return
    chunksize = max(1, min(64, len(pages) // (workers * 8)))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(parse, pages, chunksize=chunksize)

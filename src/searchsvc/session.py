"""Following the live generation: an ``Engine`` per process, a ``Session`` per thread.

The :class:`Engine` holds what a process keeps for one index folder, made from settings by
whoever creates it (the app in ``app.extensions``, the CLI, a benchmark): the ranking
parameters, the postings budget, the result cache, and the live generation's arrays, loaded
once and shared by every thread. A :class:`Session` is one thread's: it is the only thing that
follows the ``current`` link, once per request (:meth:`Session.refresh`), and hands out a
:class:`View` (one generation's record and a ranker over it) that the whole request uses, so a
request never mixes two generations. Servers read the generation's small record, never the page
table.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from whoosh.index import IndexError as WhooshIndexError

from .config import default
from .errors import IndexUnavailable
from .index.store import GenerationRecord, OpenGeneration, generation_name, open_generation
from .lru import LRU
from .ranking import RankingParams
from .scorer import Ranker, SectionArrays

OPEN_ATTEMPTS = 3


@dataclass(frozen=True)
class View:
    """One generation as a request sees it, start to end."""

    generation: str
    record: GenerationRecord
    ranker: Ranker
    results: LRU | None  # the process's result cache (keys carry the generation), or None


class Engine:
    """A process's state for one index folder, shared by its threads."""

    def __init__(
        self,
        index_dir: Path | str,
        *,
        params: RankingParams | None = None,
        postings_cache_mb: int | None = None,
        cache_size: int | None = None,
        ranker: type[Ranker] = Ranker,
    ) -> None:
        """:param ranker: the ranker class (a benchmark may pass an experimental subclass)."""
        self.index_dir = Path(index_dir)
        self.ranker = ranker
        self.params = params or RankingParams()
        self.postings_cache_mb = int(
            default("POSTINGS_CACHE_MB") if postings_cache_mb is None else postings_cache_mb
        )
        size = int(default("CACHE_SIZE") if cache_size is None else cache_size)
        self.results: LRU | None = LRU(size) if size > 0 else None
        self._arrays: tuple[str, SectionArrays] | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> Engine:
        """An engine from validated settings (``config.validate``)."""
        return cls(
            config["INDEX_DIR"],
            params=RankingParams.from_config(config),
            postings_cache_mb=config["POSTINGS_CACHE_MB"],
            cache_size=config["CACHE_SIZE"],
        )

    def session(self) -> Session:
        return Session(self)

    def arrays_for(self, opened: OpenGeneration, ranker_reader) -> SectionArrays:
        """The live generation's arrays, loaded by the first thread that needs them; older
        generations' arrays are dropped."""
        key = str(opened.path.resolve())
        with self._lock:
            if self._arrays is None or self._arrays[0] != key:
                arrays = SectionArrays.load(ranker_reader, self.params, self.postings_cache_mb)
                self._arrays = (key, arrays)
            return self._arrays[1]


class Session:
    """One thread's view of an index folder; Whoosh searchers are not thread-safe.

    :raise IndexUnavailable: from ``refresh()`` while no usable index exists.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._view: View | None = None

    def refresh(self) -> View:
        """Follow ``current`` if it moved (one readlink when it has not); the view to use."""
        index_dir = self.engine.index_dir
        for _ in range(OPEN_ATTEMPTS):
            name = generation_name(index_dir)
            if self._view is not None and name == self._view.generation:
                return self._view
            try:
                view = self._open(name)
            except IndexUnavailable:
                # A writer may have switched on and removed ``name`` between the readlink
                # and the open: then the new generation is there to open instead.
                if generation_name(index_dir) == name:
                    raise
                continue
            self.close()
            self._view = view
            return view
        raise IndexUnavailable(f"the index in {index_dir} changes faster than it can be opened")

    def _open(self, name: str | None) -> View:
        opened = open_generation(self.engine.index_dir, name)
        try:
            searcher = opened.index.searcher()
        except (OSError, WhooshIndexError) as exc:
            message = f"index in {self.engine.index_dir} cannot be read: {exc}"
            raise IndexUnavailable(message) from exc
        arrays = self.engine.arrays_for(opened, searcher.reader())
        ranker = self.engine.ranker(arrays, searcher)
        return View(opened.name, opened.record, ranker, self.engine.results)

    def close(self) -> None:
        if self._view is not None:
            self._view.ranker.close()
        self._view = None

    def __enter__(self) -> View:
        return self.refresh()

    def __exit__(self, *exc) -> None:
        self.close()

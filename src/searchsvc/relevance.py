"""Scoring the served search on a judged dataset: what ``searchsvc eval`` and benchmarks run.

``evaluate`` owns the metrics and stays free of the index; this module connects them to the
real thing: it indexes a dataset with the real indexing code into a temporary index and ranks
each judged query with the same ``search()`` the API serves.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import BadQuery
from .evaluate import Dataset, EvalReport, documents_as_articles, run_eval
from .index import build_from_articles
from .ranking import RankingParams
from .search import search
from .session import Engine, View

EVAL_DEPTH = 100


def project_ranker(view: View, depth: int = EVAL_DEPTH) -> Callable[[str], list[str]]:
    """The search the API runs, as ``evaluate.run_eval`` wants it: query -> article ids."""

    def rank(text: str) -> list[str]:
        try:
            # Judged queries may be whole paragraphs: no length limit, unlike the public API.
            result = search(
                view,
                text,
                per_page=depth,
                max_per_page=depth,
                facets=False,
                snippets=False,
                max_length=10**6,
            )
        except BadQuery:
            return []  # e.g. a query of stop words only: nothing to rank
        return [r.article_id for r in result.results]

    return rank


def evaluate_dataset(
    dataset: Dataset,
    progress: Callable[[str, int, int], None] | None = None,
    params: RankingParams | None = None,
) -> EvalReport:
    """Index ``dataset`` into a temporary index with the real indexing code, then score the
    real search function on its judged queries.

    :param progress: called as ``progress(phase, done, total)``: "Indexing documents", then
        "Committing", then "Queries".
    """
    with tempfile.TemporaryDirectory(prefix="searchsvc-eval-") as tmp:
        build_from_articles(Path(tmp), documents_as_articles(dataset), progress=progress)
        engine = Engine(tmp, params=params, cache_size=0)
        with engine.session() as view:
            queries = None
            if progress is not None:
                progress("Queries", 0, len(dataset.queries))
                queries = lambda done, total: progress("Queries", done, total)  # noqa: E731
            return run_eval(dataset, project_ranker(view), progress=queries)

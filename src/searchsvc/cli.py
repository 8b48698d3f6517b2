"""The ``searchsvc`` command: extract, index, search, serve and eval.

Each command is a thin wrapper: it reads options, calls one function of ``corpus``, ``index``,
``search``, ``web`` or ``relevance``, and prints the outcome. Errors are translated in one place,
:class:`Command`: every ``SearchsvcError`` becomes a message that says what to do next and its
own exit code (1 a problem to fix, 2 a bad argument); option defaults, environment variables
and ranges come from ``config.SETTINGS``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import __version__
from .config import Setting, default, from_env, setting
from .corpus import PageFile, page_id, parse_page
from .errors import SearchsvcError
from .index import current_generation, update_index
from .search import Results, search
from .session import Engine


def setting_option(flag: str, name: str, **kwargs):
    """An option whose default, environment variable, range and help are the setting's."""
    s: Setting = setting(name)
    if isinstance(s.default, int) and "type" not in kwargs:
        kwargs["type"] = click.IntRange(s.min, s.max)
    return click.option(
        flag,
        default=s.default,
        envvar=s.envvar,
        show_envvar=True,
        show_default=bool(s.default),
        help=s.help,
        **kwargs,
    )


index_dir_option = setting_option(
    "--index-dir", "INDEX_DIR", type=click.Path(file_okay=False, path_type=Path)
)
base_url_option = setting_option("--base-url", "BASE_URL")
workers_option = setting_option("--workers", "WORKERS")


class Command(click.Command):
    """A searchsvc command: the one place searchsvc's errors become click's."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except SearchsvcError as exc:
            if exc.exit_code == 2:  # a bad argument: say so with the command's usage
                raise click.UsageError(str(exc), ctx) from exc
            error = click.ClickException(str(exc))
            error.exit_code = exc.exit_code
            raise error from exc


class Commands(click.Group):
    command_class = Command


@click.group("searchsvc", cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="searchsvc")
def main() -> None:
    """Full-text search for a website's articles: ingest HTML, index it, serve it."""


# --- extract ---------------------------------------------------------------------------------


def _page_for(path: Path, root: Path | None) -> PageFile:
    st = path.stat()
    base = root if root is not None else path.parent
    try:
        pid = page_id(path.resolve(), base.resolve())
    except ValueError:
        pid = page_id(path, path.parent)
    return PageFile(path, pid, st.st_size, st.st_mtime_ns)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Corpus root the article ids are relative to (default: each file's folder).",
)
@base_url_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line per file.")
def extract(paths: tuple[Path, ...], root: Path | None, base_url: str, as_json: bool) -> None:
    """Show what the index will get from HTML pages (.html, .htm, optionally .gz).

    A page that cannot be read or parsed prints its path and the reason, and the run goes on;
    the exit code is 1 if any page failed.
    """
    failed = 0
    for path in paths:
        if not path.is_file():
            parsed_error, article = f"not a file: {path}", None
        else:
            parsed = parse_page(_page_for(path, root), base_url=base_url)
            parsed_error, article = parsed.error, parsed.article
        if article is None:
            failed += 1
            if as_json:
                click.echo(json.dumps({"path": str(path), "error": parsed_error}))
            else:
                click.echo(f"{path}: error: {parsed_error}", err=True)
            continue
        if as_json:
            click.echo(json.dumps({"path": str(path), **article.to_dict()}, ensure_ascii=False))
        else:
            _print_article(path, article)
    if failed:
        sys.exit(1)


def _print_article(path: Path, article) -> None:
    click.secho(f"{article.title}", bold=True)
    click.echo(f"  id: {article.id}   topic: {article.topic}   path: {path}")
    if article.url:
        click.echo(f"  url: {article.url}")
    for s in article.sections:
        words = len(s.text.split())
        click.echo(f"  § {s.heading or '(lead)'}  [{words} words]  #{s.anchor}")
    for link in article.related:
        click.echo(f"  related: {link.title} <{link.url}>")


# --- index -----------------------------------------------------------------------------------


@main.command()
@click.argument(
    "corpus_dir",
    required=False,
    type=click.Path(path_type=Path),
    default=setting("CORPUS_DIR").default,
    envvar=setting("CORPUS_DIR").envvar,
)
@index_dir_option
@click.option("--rebuild", is_flag=True, help="Build a fresh index instead of updating.")
@workers_option
@base_url_option
def index(corpus_dir: Path, index_dir: Path, rebuild: bool, workers: int, base_url: str) -> None:
    """Index the HTML pages under CORPUS_DIR (default: corpus).

    Incremental: only added, changed and removed pages are touched; --rebuild starts afresh.
    Either way the new index goes live in one atomic switch, and a failed run leaves the
    previous one serving. Bad pages are listed with their reason and skipped.
    """
    bar = None

    def on_start(n: int) -> None:
        nonlocal bar
        if sys.stderr.isatty() and n:
            bar = click.progressbar(length=n, label="Indexing", file=sys.stderr)
            bar.__enter__()

    def progress(n: int) -> None:
        if bar is not None:
            bar.update(n)

    try:
        report = update_index(
            corpus_dir,
            index_dir,
            rebuild=rebuild,
            workers=workers,
            base_url=base_url,
            progress=progress,
            on_start=on_start,
        )
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    for path, reason in report.skipped:
        click.echo(f"skipped {path}: {reason}", err=True)
    state = "" if report.changed else " (index already up to date)"
    click.echo(f"Indexed {report.summary()}{state}")


# --- search ----------------------------------------------------------------------------------


@main.command("search")
@click.argument("query")
@click.option("--topic", help="Only articles of this topic.")
@click.option(
    "--limit",
    type=click.IntRange(1, int(default("MAX_PER_PAGE"))),
    default=default("PER_PAGE"),
    show_default=True,
    help="Results per page.",
)
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@index_dir_option
def search_command(
    query: str, topic: str | None, limit: int, page: int, as_json: bool, index_dir: Path
) -> None:
    """Search the index from the terminal.

    QUERY takes words (any may match; more matches rank higher), "quoted phrases"
    (required), -word (excluded), topic:name and prefix*.
    """
    with Engine(index_dir, cache_size=0).session() as view:
        results = search(view, query, topic=topic, page=page, per_page=limit)
    if as_json:
        click.echo(json.dumps(results.to_dict(), ensure_ascii=False, indent=2))
        return
    _print_results(results)


def _print_results(results: Results) -> None:
    if results.suggestion:
        click.echo(f"Did you mean: {results.suggestion}")
    click.echo(f"{results.total} articles ({results.took_ms} ms)")
    first = (results.page - 1) * results.per_page + 1
    for n, r in enumerate(results.results, start=first):
        click.secho(f"{n:>3}. {r.title}", bold=True)
        where = r.topic + (f" › {r.heading}" if r.heading else "")
        click.echo(f"     {where}   {r.url or r.article_id}")
        if r.snippet:
            click.echo(f"     {r.snippet.plain}")


# --- serve -----------------------------------------------------------------------------------


@main.command()
@index_dir_option
@click.option(
    "--corpus-dir",
    type=click.Path(path_type=Path),
    default=setting("CORPUS_DIR").default,
    envvar=setting("CORPUS_DIR").envvar,
    show_envvar=True,
    show_default=True,
    help=setting("CORPUS_DIR").help,
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1), default=2, show_default=True)
@click.option("--threads", type=click.IntRange(1), default=4, show_default=True)
@click.option(
    "--no-update", is_flag=True, help="Serve the index as it is, without indexing the corpus."
)
def serve(
    index_dir: Path,
    corpus_dir: Path,
    host: str,
    port: int,
    workers: int,
    threads: int,
    no_update: bool,
) -> None:
    """Serve the search page and JSON API with gunicorn.

    First brings the index up to date with the corpus folder, when there is one (only what
    changed is indexed; the first run builds the index).
    """
    from .web import create_app

    create_app({"INDEX_DIR": str(index_dir)})  # a bad setting stops here, not per request
    if not no_update and corpus_dir.is_dir():
        click.echo(f"Updating the index in {index_dir} from {corpus_dir}", err=True)
        report = update_index(
            corpus_dir,
            index_dir,
            workers=int(from_env("WORKERS")),
            base_url=str(from_env("BASE_URL")),
        )
        click.echo(f"Indexed {report.summary()}", err=True)
    elif current_generation(index_dir) is None:
        click.echo(f"No index in {index_dir} yet: searches answer 503 until one is built", err=True)
    _run_gunicorn(index_dir, host, port, workers, threads)


def _run_gunicorn(index_dir: Path, host: str, port: int, workers: int, threads: int) -> None:
    from gunicorn.app.base import BaseApplication

    from .web import create_app

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("accesslog", "-")

        def load(self):
            return create_app({"INDEX_DIR": str(index_dir)})

    click.echo(f"Serving on http://{host}:{port}/  (Ctrl+C to stop)", err=True)
    Server().run()


# --- eval ------------------------------------------------------------------------------------


@main.command("eval")
@click.argument("dataset_dir", type=click.Path(path_type=Path))
@click.option("--split", default="test", show_default=True, help="qrels.tsv, or NAME_qrels.tsv.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for scripts.")
def eval_command(dataset_dir: Path, split: str, as_json: bool) -> None:
    """Measure ranking on a BEIR-style set: nDCG@10, Recall@100, MRR@10, latency.

    DATASET_DIR holds corpus.jsonl[.gz], queries.jsonl and qrels.tsv.
    """
    from .evaluate import load_dataset
    from .relevance import evaluate_dataset

    dataset = load_dataset(dataset_dir, split)
    bar = None
    if sys.stderr.isatty():
        bar = click.progressbar(length=len(dataset.queries), label="Queries", file=sys.stderr)
        bar.__enter__()
    try:
        report = evaluate_dataset(dataset, progress=(lambda i, n: bar.update(1)) if bar else None)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if as_json:
        click.echo(json.dumps({"dataset": str(dataset_dir), "split": split, **report.to_dict()}))
        return
    click.echo(
        f"{dataset_dir}: {report.n_queries} queries  nDCG@10 {report.ndcg_at_10:.4f}  "
        f"Recall@100 {report.recall_at_100:.4f}  MRR@10 {report.mrr_at_10:.4f}  "
        f"p50 {report.p50_ms:.1f} ms  p99 {report.p99_ms:.1f} ms"
    )

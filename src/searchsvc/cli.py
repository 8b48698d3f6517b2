"""The ``searchsvc`` command: extract, index, search, serve and eval.

Each command is a thin wrapper: it reads options, calls one function of ``corpus``, ``index``,
``search``, ``web`` or ``relevance``, and prints the outcome. Errors are translated in one place,
:class:`Command`: every ``SearchsvcError`` becomes a message that says what to do next and its
own exit code (1 a problem to fix, 2 a bad argument or setting); a run that finished but
skipped pages exits 3 (:data:`EXIT_PARTIAL`). Option defaults, environment variables and
ranges come from ``config.SETTINGS``; long work shows its phases through ``progress.Reporter``
(the one in ``ctx.obj`` when a caller, such as a test, passes one).
"""

from __future__ import annotations

import errno
import json
import shutil
import socket
import textwrap
from collections.abc import Iterator
from pathlib import Path

import click
from click.core import ParameterSource

from . import __version__
from .config import Setting, from_env, setting
from .corpus import PageFile, find_pages, page_id, parse_page
from .errors import CorpusNotFound, IndexUnavailable, SearchsvcError, ServeError
from .index import IndexReport, current_generation, update_index
from .progress import Reporter
from .ranking import RankingParams
from .search import Results, search
from .session import Engine

EXIT_PARTIAL = 3  # done, but some pages were skipped; each is listed with its reason
EXIT_CODES = (
    "Exit codes: 0 done; 1 a problem to fix (the message says what); 2 a bad argument or setting"
)
EXIT_CODES_PARTIAL = (
    f"{EXIT_CODES}; 3 done, but some pages were skipped (each is listed with its reason)."
)


def setting_option(flag: str, name: str, **kwargs):
    """An option whose default, environment variable, range and help are the setting's."""
    s: Setting = setting(name)
    if isinstance(s.default, int) and "type" not in kwargs:
        kwargs["type"] = click.IntRange(s.min, s.max)
    kwargs.setdefault("help", s.help)
    return click.option(
        flag,
        default=s.default,
        envvar=s.envvar,
        show_envvar=True,
        show_default=bool(s.default),
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
        except OSError as exc:  # one the code did not word itself: still one line, exit 1
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}") from exc


class Commands(click.Group):
    command_class = Command


@click.group("searchsvc", cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="searchsvc")
def main() -> None:
    """Full-text search for a website's articles: ingest HTML, index it, serve it."""


def reporter() -> Reporter:
    """The progress reporter: the caller's (``ctx.obj``), else one on stderr."""
    found = click.get_current_context().find_object(Reporter)
    return found if found is not None else Reporter()


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


# --- extract ---------------------------------------------------------------------------------


def default_root(path: Path) -> Path:
    """The root a page's id is relative to when --root is not given: the configured corpus
    folder when the page is inside it (so the id and topic are the ones the index gets), else
    the page's own folder."""
    corpus = Path(str(from_env("CORPUS_DIR")))
    if corpus.is_dir() and path.resolve().is_relative_to(corpus.resolve()):
        return corpus
    return path.parent


def _page_for(path: Path, root: Path) -> tuple[PageFile, Path]:
    """The page and the root its id is relative to (its folder when it is outside ``root``)."""
    st = path.stat()
    try:
        pid = page_id(path.resolve(), root.resolve())
    except ValueError:
        root = path.parent
        pid = page_id(path, root)
    return PageFile(path, pid, st.st_size, st.st_mtime_ns), root


def extract_targets(
    paths: tuple[Path, ...], root: Path | None
) -> Iterator[tuple[Path, PageFile | None, Path | None, str]]:
    """(path, page, root, error) for each page named or found below a named folder."""
    for path in paths:
        if path.is_dir():
            found = find_pages(path)
            if not found:
                yield path, None, None, f"no .html or .htm pages in folder {path}"
            for page in found:
                if root is None:  # ids relative to the folder, as `searchsvc index` gives them
                    yield page.path, page, path, ""
                else:
                    yield (page.path, *_page_for(page.path, root), "")
        elif path.is_file():
            yield (path, *_page_for(path, root if root is not None else default_root(path)), "")
        else:
            yield path, None, None, f"not found: {path}"


@main.command(epilog=EXIT_CODES_PARTIAL)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Corpus root the article ids (and default topics) are relative to. Default: for a "
    "folder, that folder; for a file, the corpus folder (SEARCHSVC_CORPUS_DIR, else corpus) "
    "when the file is inside it, else the file's folder.",
)
@base_url_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per page, one per line.")
@click.pass_context
def extract(
    ctx: click.Context, paths: tuple[Path, ...], root: Path | None, base_url: str, as_json: bool
) -> None:
    """Show what the index will get from HTML pages (.html, .htm, optionally .gz).

    PATHS are pages or folders of pages (read recursively). Each page says which root its id is
    relative to (on stderr; "root" in JSON). A page that cannot be read or parsed prints its path
    and the reason, and the run goes on.
    """
    ok = failed = 0
    said_root = None
    for path, page, page_root, error in extract_targets(paths, root):
        article = None
        if page is not None:
            parsed = parse_page(page, base_url=base_url)
            error, article = parsed.error or "", parsed.article
        where = {"path": str(path)} | ({"root": str(page_root)} if page_root else {})
        if article is None:
            failed += 1
            if as_json:
                click.echo(json.dumps({**where, "error": error}, ensure_ascii=False))
            else:
                click.echo(f"{path}: error: {error}", err=True)
            continue
        ok += 1
        if as_json:
            click.echo(json.dumps({**where, **article.to_dict()}, ensure_ascii=False))
            continue
        if page_root != said_root:
            click.echo(f"(ids relative to {page_root})", err=True)
            said_root = page_root
        _print_article(path, article)
    if failed:
        ctx.exit(1 if not ok else EXIT_PARTIAL)


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


def run_update(corpus_dir: Path, index_dir: Path, **kwargs) -> IndexReport:
    """``update_index`` with its phases shown on stderr, then what it did printed: why it
    rebuilt (if it did) and each skipped page with its reason."""
    progress = reporter()
    try:
        report = update_index(corpus_dir, index_dir, progress=progress, **kwargs)
    finally:
        progress.close()
    for note in report.notes:
        click.echo(note, err=True)
    if report.rebuild_reason:
        click.echo(f"Rebuilt everything: {report.rebuild_reason}", err=True)
    for path, reason in report.skipped:
        click.echo(f"skipped {path}: {reason}", err=True)
    return report


INDEX_EXIT_CODES = (
    "Exit codes: 0 done; 1 a problem to fix (the message says what: another run is writing, the "
    "index folder cannot be written for permissions, a read-only disk or no space); 2 a bad "
    "argument or setting; 3 done, but some pages were skipped (each is listed with its reason; "
    "pages that could not be read keep their indexed version)."
)


@main.command(epilog=INDEX_EXIT_CODES)
@click.argument(
    "corpus_dir",
    required=False,
    type=click.Path(path_type=Path),
    default=setting("CORPUS_DIR").default,
    envvar=setting("CORPUS_DIR").envvar,
)
@index_dir_option
@click.option("--rebuild", is_flag=True, help="Build a fresh index instead of updating.")
@click.option(
    "--allow-removals",
    is_flag=True,
    help="Let this run empty the index or remove more than half of its articles (refused "
    "otherwise, as a corpus folder that is empty or half missing is usually a mistake).",
)
@workers_option
@base_url_option
@click.option(
    "--follow-external-links",
    is_flag=True,
    help="Index symlinks to files outside CORPUS_DIR too (skipped and listed otherwise).  "
    f"[env var: {setting('FOLLOW_EXTERNAL_LINKS').envvar}=1]",
)
@click.pass_context
def index(
    ctx: click.Context,
    corpus_dir: Path,
    index_dir: Path,
    rebuild: bool,
    allow_removals: bool,
    workers: int,
    base_url: str,
    follow_external_links: bool,
) -> None:
    """Index the HTML pages under the folder CORPUS_DIR (default: $SEARCHSVC_CORPUS_DIR, else
    corpus).

    Incremental: only added, changed and removed pages are touched; --rebuild starts afresh, and
    so does a run with another --base-url than the index was built with. Either way the new
    index goes live in one atomic switch, and a failed or refused run leaves the previous one
    serving. Bad pages are listed with their reason and skipped; a folder or page that cannot be
    read is listed too, and what it held stays indexed as it was.
    """
    follow_external_links = follow_external_links or bool(from_env("FOLLOW_EXTERNAL_LINKS"))
    if corpus_dir.is_file():
        raise CorpusNotFound(
            f"{corpus_dir} is a file: `searchsvc index` takes the folder holding the pages "
            f"(`searchsvc extract {corpus_dir}` shows what one page gives)"
        )
    report = run_update(
        corpus_dir,
        index_dir,
        rebuild=rebuild,
        workers=workers,
        base_url=base_url,
        allow_removals=allow_removals,
        follow_external_links=follow_external_links,
    )
    state = "" if report.changed else " (index already up to date)"
    click.echo(f"Indexed {report.summary()}{state}")
    if report.skipped:
        ctx.exit(1 if not report.articles else EXIT_PARTIAL)


# --- search ----------------------------------------------------------------------------------


@main.command("search", epilog=f"{EXIT_CODES}.")
@click.argument("query")
@click.option("--topic", help="Only articles of this topic.")
@setting_option("--limit", "PER_PAGE", help="Results per page.")
@click.option(
    "--page", type=click.IntRange(1), default=1, show_default=True, help="Which page of results."
)
@click.option(
    "--sort",
    type=click.Choice(["relevance", "newest"]),
    default="relevance",
    show_default=True,
    help="Best match first, or the matching articles newest first.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@index_dir_option
def search_command(
    query: str,
    topic: str | None,
    limit: int,
    page: int,
    sort: str,
    as_json: bool,
    index_dir: Path,
) -> None:
    """Search the index from the terminal.

    QUERY takes words (any may match; more matches rank higher), "quoted phrases"
    (required), -word (excluded), topic:name and prefix*.
    """
    with Engine(index_dir, cache_size=0).session() as view:
        results = search(view, query, topic=topic, page=page, per_page=limit, sort=sort)
    if as_json:
        click.echo(json.dumps(results.to_dict(), ensure_ascii=False, indent=2))
        return
    _print_results(results)


def _print_results(results: Results) -> None:
    if results.suggestion:
        click.echo(f"Did you mean: {results.suggestion}")
    found = plural(results.total, "article")
    if results.total and results.page > results.pages:
        click.echo(
            f"{found}: page {results.page} is past the last page ({results.pages}) "
            f"at {results.per_page} per page"
        )
        return
    click.echo(f"{found} ({results.took_ms} ms)")
    first = (results.page - 1) * results.per_page + 1
    width = min(shutil.get_terminal_size((100, 24)).columns, 100)
    indent = " " * 5
    for n, r in enumerate(results.results, start=first):
        click.secho(f"{n:>3}. {r.title}", bold=True)
        where = r.topic + (f" › {r.heading}" if r.heading else "")
        click.echo(f"{indent}{where}   {r.url or r.article_id}")
        if r.snippet:
            lines = textwrap.wrap(
                r.snippet.plain,
                width=max(width, 40),
                initial_indent=indent,
                subsequent_indent=indent,
            )
            click.echo("\n".join(lines))


# --- serve -----------------------------------------------------------------------------------


def check_port(host: str, port: int) -> None:
    """Fail before any work when ``host:port`` cannot be listened on (gunicorn would retry for
    seconds, then exit without a hint).

    :raise SearchsvcError: naming the port and what to do.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise ServeError(f"cannot listen on --host {host}: {exc.strerror}") from exc
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ServeError(
                    f"port {port} on {host} is in use: stop the other server or pass --port"
                ) from exc
            raise ServeError(
                f"cannot listen on port {port} on {host}: {exc.strerror}: pass another --host "
                "or --port"
            ) from exc


@main.command(epilog=f"{EXIT_CODES}.")
@index_dir_option
@click.option(
    "--corpus-dir",
    type=click.Path(path_type=Path),
    default=setting("CORPUS_DIR").default,
    envvar=setting("CORPUS_DIR").envvar,
    show_envvar=True,
    show_default=True,
    help="Folder of HTML pages to bring the index up to date with before serving. Given (or "
    "set in the environment) it must exist; the default may be missing when an index is there.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8000, show_default=True, help="Port to listen on.")
@click.option(
    "--workers",
    type=click.IntRange(1),
    default=2,
    show_default=True,
    help="gunicorn processes answering requests (the first indexing uses SEARCHSVC_WORKERS).",
)
@click.option(
    "--connections",
    type=click.IntRange(1),
    default=1000,
    show_default=True,
    help="Connections each process holds open at once, idle and slow ones included.",
)
@click.option(
    "--no-update", is_flag=True, help="Serve the index as it is, without indexing the corpus."
)
@click.pass_context
def serve(
    ctx: click.Context,
    index_dir: Path,
    corpus_dir: Path,
    host: str,
    port: int,
    workers: int,
    connections: int,
    no_update: bool,
) -> None:
    """Serve the search page and JSON API with gunicorn (gevent workers, as in production).

    Checks the settings and the port first, then brings the index up to date with the corpus
    folder (only what changed is indexed; the first run builds the index), printing each
    skipped page with its reason. Without a corpus folder it serves the index as it is.
    """
    from .web import create_app

    create_app({"INDEX_DIR": str(index_dir)})  # a bad setting stops here, before anything
    indexing = {
        "workers": int(from_env("WORKERS")),
        "base_url": str(from_env("BASE_URL")),
        "follow_external_links": bool(from_env("FOLLOW_EXTERNAL_LINKS")),
    }
    check_port(host, port)
    update = not no_update
    if update and not corpus_dir.is_dir():
        source = ctx.get_parameter_source("corpus_dir")
        if source in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT):
            given = "--corpus-dir" if source == ParameterSource.COMMANDLINE else "the environment"
            raise CorpusNotFound(
                f"corpus folder not found: {corpus_dir} (from {given}): check the path, or "
                "pass --no-update to serve the index as it is"
            )
        if current_generation(index_dir) is None:
            raise IndexUnavailable(
                f"no index in {index_dir} and no corpus folder {corpus_dir}: pass --corpus-dir "
                f"FOLDER, or build one with `searchsvc index FOLDER --index-dir {index_dir}`"
            )
        click.echo(f"No corpus folder {corpus_dir}: serving the index in {index_dir}", err=True)
        update = False
    if update:
        click.echo(f"Updating the index in {index_dir} from {corpus_dir}", err=True)
        report = run_update(corpus_dir, index_dir, **indexing)
        click.echo(f"Indexed {report.summary()}", err=True)
    elif current_generation(index_dir) is None:
        click.echo(f"No index in {index_dir} yet: searches answer 503 until one is built", err=True)
    _run_gunicorn(index_dir, host, port, workers, connections)


def _run_gunicorn(index_dir: Path, host: str, port: int, workers: int, connections: int) -> None:
    """gunicorn with ``serving.SETTINGS`` (its slow-client worker), as production runs it."""
    from gunicorn.app.base import BaseApplication

    from .serving import SETTINGS
    from .web import create_app

    class Server(BaseApplication):
        def load_config(self) -> None:
            # gunicorn's control socket defaults to one path per user ($XDG_RUNTIME_DIR or
            # ~/.gunicorn/gunicorn.ctl): a second serve unlinks the first one's socket and the
            # first to stop deletes the other's. A path beside the index would still be shared
            # by two serves of one index on two ports, and a Unix socket path must stay under
            # 108 bytes. Nothing of searchsvc uses `gunicornc`, so SETTINGS disable it.
            for name, value in SETTINGS.items():
                self.cfg.set(name, value)
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("worker_connections", connections)
            self.cfg.set("accesslog", "-")

        def load(self):
            return create_app({"INDEX_DIR": str(index_dir)})

    click.echo(f"Serving on http://{host}:{port}/  (Ctrl+C to stop)", err=True)
    Server().run()


# --- eval ------------------------------------------------------------------------------------


@main.command("eval", epilog=f"{EXIT_CODES}.")
@click.argument("dataset_dir", type=click.Path(path_type=Path))
@click.option(
    "--split",
    default="test",
    show_default=True,
    help="Which judgments: test or dev read qrels.tsv; another NAME reads NAME_qrels.tsv.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for scripts.")
def eval_command(dataset_dir: Path, split: str, as_json: bool) -> None:
    """Measure ranking on a BEIR-style set: nDCG@10, Recall@100, MRR@10, latency.

    DATASET_DIR holds corpus.jsonl[.gz], queries.jsonl and qrels.tsv. It is indexed into a
    temporary index first; both phases show their progress on stderr.
    """
    from .evaluate import load_dataset
    from .relevance import evaluate_dataset

    dataset = load_dataset(dataset_dir, split)
    progress = reporter()
    try:
        # ranked as /api/search ranks: the same ranking settings from the environment
        params = RankingParams.from_config({"RECENCY_BOOST": from_env("RECENCY_BOOST")})
        report = evaluate_dataset(dataset, progress=progress, params=params)
    finally:
        progress.close()
    if as_json:
        click.echo(json.dumps({"dataset": str(dataset_dir), "split": split, **report.to_dict()}))
        return
    click.echo(
        f"{dataset_dir}: {report.n_queries} queries  nDCG@10 {report.ndcg_at_10:.4f}  "
        f"Recall@100 {report.recall_at_100:.4f}  MRR@10 {report.mrr_at_10:.4f}  "
        f"p50 {report.p50_ms:.1f} ms  p99 {report.p99_ms:.1f} ms"
    )

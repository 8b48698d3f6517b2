"""The HTTP face: the Flask app factory, the JSON API, the search page and error handling.

``create_app()`` layers settings: ``config.DEFAULTS``, then ``SEARCHSVC_*`` environment
variables, then an optional test mapping, and validates them before serving anything (a bad
value stops the start with its name). Production runs ``gunicorn 'searchsvc.web:create_app()'``.
The app owns one ``session.Engine`` (in ``app.extensions``); each worker thread keeps one
``Session`` and each request asks it once for the live ``View``, so a re-index is picked up
without a restart and a request sees one generation from start to end. Errors have one JSON
shape under ``/api/`` and an HTML page elsewhere; no traceback ever leaves.
"""

from __future__ import annotations

import gzip
import logging
import threading
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, current_app, g, jsonify, render_template, request, url_for
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.security import safe_join

from . import __version__
from .config import DEFAULTS, ENV_PREFIX, validate
from .corpus import PAGE_SUFFIXES, is_page, read_page
from .errors import BadQuery, SearchsvcError
from .openapi import openapi_spec
from .search import search
from .session import Engine, View
from .text import topic_label

log = logging.getLogger(__name__)

SEARCH_PARAMETERS = ("q", "topic", "page", "per_page")
READER_UNAVAILABLE = "Search is not available right now. Please try again in a few minutes."
READER_FAILED = "Something went wrong with this search. Please try again."


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then SEARCHSVC_* environment variables, then ``test_config``.

    :raise ConfigError: when a setting has a value it does not allow.
    """
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env(ENV_PREFIX, loads=str)
    if test_config:
        app.config.from_mapping(test_config)
    validate(app.config)
    app.json.sort_keys = False
    app.extensions["searchsvc.engine"] = Engine.from_config(app.config)
    app.extensions["searchsvc.sessions"] = threading.local()
    register_errors(app)
    register_api(app)
    register_pages(app)
    if serves_corpus_pages(app.config):
        register_corpus_pages(app)
    return app


def live_view() -> View:
    """The live generation for this request, looked up once per request.

    :raise IndexUnavailable: while there is no index (answered as 503).
    """
    if "view" not in g:
        local = current_app.extensions["searchsvc.sessions"]
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = current_app.extensions["searchsvc.engine"].session()
        g.view = session.refresh()
    return g.view


# --- errors ----------------------------------------------------------------------------------


def error_body(message: str, status: int) -> dict:
    """The one shape of every JSON error."""
    return {"ok": False, "error": message, "status": status}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path in ("/healthz", "/openapi.json")


def register_errors(app: Flask) -> None:
    def respond(message: str, status: int):
        if wants_json():
            return jsonify(error_body(message, status)), status
        if status >= 500:
            # Readers get no server paths or admin commands; the log and the API have them.
            log.warning("%s answered %s: %s", request.path, status, message)
            message = READER_UNAVAILABLE if status == 503 else READER_FAILED
        return render_template("error.html", message=message, status=status), status

    @app.errorhandler(SearchsvcError)
    def domain_error(exc: SearchsvcError):
        return respond(str(exc), exc.status)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return respond(exc.description or exc.name, exc.code or 500)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s", request.path)
        return respond("internal error: the search service failed on this request", 500)


# --- request parameters ----------------------------------------------------------------------


def int_arg(name: str, default: int) -> int:
    """:raise BadQuery: when the parameter is present but not a whole number."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadQuery(f"{name} must be a whole number, got {raw!r}") from None


def search_args() -> dict:
    cfg = current_app.config
    return {
        "topic": request.args.get("topic", "").strip() or None,
        "page": int_arg("page", 1),
        "per_page": int_arg("per_page", cfg["PER_PAGE"]),
        "max_per_page": cfg["MAX_PER_PAGE"],
        "max_length": cfg["MAX_QUERY_LENGTH"],
    }


def reject_unknown_parameters(accepted: tuple[str, ...]) -> None:
    """:raise BadQuery: for a query parameter the endpoint does not read (a typo, say)."""
    unknown = sorted(set(request.args) - set(accepted))
    if unknown:
        raise BadQuery(
            f"unknown parameter {unknown[0]!r}: this endpoint takes {', '.join(accepted)}"
        )


# --- JSON API --------------------------------------------------------------------------------


def register_api(app: Flask) -> None:
    @app.get("/api/search")
    def api_search():
        reject_unknown_parameters(SEARCH_PARAMETERS)
        q = request.args.get("q", "")
        args = search_args()
        if not q.strip() and not args["topic"]:
            raise BadQuery("q or topic is required: /api/search?q=your+words")
        results = search(live_view(), q, **args)
        return jsonify({"ok": True, **results.to_dict()})

    @app.get("/api/topics")
    def api_topics():
        record = live_view().record
        topics = [
            {"value": t, "label": record.topic_labels.get(t) or topic_label(t), "count": c}
            for t, c in record.topics.items()
        ]
        return jsonify({"ok": True, "topics": topics})

    @app.get("/api/stats")
    def api_stats():
        view = live_view()
        record = view.record
        return jsonify(
            {
                "ok": True,
                "documents": record.articles,
                "sections": record.sections,
                "topics": len(record.topics),
                "built_at": record.built_at,
                "generation": view.generation,
                "version": __version__,
            }
        )

    @app.get("/healthz")
    def healthz():
        return jsonify({"ok": True, "generation": live_view().generation})

    @app.get("/openapi.json")
    def openapi():
        return jsonify(openapi_spec(__version__, app.config))


# --- the corpus's own pages ------------------------------------------------------------------


def serves_corpus_pages(config) -> bool:
    """With no site of its own configured (``BASE_URL`` "/"), result links point at this
    server, so it serves the corpus's pages itself; a configured base URL never does."""
    return config["BASE_URL"] == "/"


def register_corpus_pages(app: Flask) -> None:
    root = Path(app.config["CORPUS_DIR"]).resolve()

    @app.get("/<path:page_id>")
    def corpus_page(page_id: str):
        """A page of the corpus, read-only, as its own HTML (sandboxed: no scripts run)."""
        path = corpus_file(root, page_id)
        if path is None:
            raise NotFound(f"no page {page_id!r} here")
        try:
            data = read_page(path)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            log.warning("cannot serve %s: %s", path, exc)
            raise NotFound(f"no page {page_id!r} here") from None
        response = Response(data, mimetype="text/html")
        response.headers["Content-Security-Policy"] = "sandbox allow-popups"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def corpus_file(root: Path, page_id: str) -> Path | None:
    """The file under ``root`` that page ``page_id`` comes from, or None: never a path that
    leaves the root (``..``, absolute paths, symlinks out), never a file that is not a page."""
    names = [page_id] if is_page(page_id) else [page_id + suffix for suffix in PAGE_SUFFIXES]
    for name in names:
        joined = safe_join(str(root), name)
        if joined is None:
            return None
        path = Path(joined).resolve()
        if path.is_relative_to(root) and path.is_file() and is_page(path.name):
            return path
    return None


# --- pages -----------------------------------------------------------------------------------


def register_pages(app: Flask) -> None:
    @app.get("/")
    @app.get("/search")
    def search_page():
        q = request.args.get("q", "").strip()
        view = live_view()
        context = {
            "q": q,
            "topics": view.record.topics,
            "labels": view.record.topic_labels,
            "result": None,
            "error": None,
        }
        status = 200
        if q or request.args.get("topic", "").strip():
            try:
                context["result"] = search(view, q, **search_args()).to_dict()
            except BadQuery as exc:
                context["error"], status = str(exc), exc.status
            context["api_url"] = url_for("api_search") + "?" + urlencode(request.args)
        return render_template("search.html", **context), status

    @app.context_processor
    def template_helpers():
        def page_url(page: int, **changes) -> str:
            args = {**request.args.to_dict(), "page": page, **changes}
            args = {k: v for k, v in args.items() if v not in (None, "")}
            return url_for("search_page") + "?" + urlencode(args)

        return {"site_name": app.config["SITE_NAME"], "page_url": page_url}

    @app.template_filter("reader_date")
    def reader_date(published: str) -> str:
        """ "2024-02-03" or "2024-02-03T09:00:00+00:00" -> "3 February 2024"."""
        try:
            day = date.fromisoformat(published[:10])
        except ValueError:
            return published
        return f"{day.day} {day:%B %Y}"

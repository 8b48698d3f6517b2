"""The HTTP face: the Flask app factory, the JSON API, the search page and error handling.

``create_app()`` layers settings: ``config.DEFAULTS``, then ``SEARCHSVC_*`` environment
variables, then an optional test mapping. Production runs ``gunicorn 'searchsvc.web:create_app()'``.
Each worker thread keeps one ``search.Session`` (Whoosh searchers are not thread-safe) and
each request first checks whether ``searchsvc index`` switched generations, so a re-index is
picked up without a restart and a request sees one generation from start to end. Errors
have one JSON shape under ``/api/`` and an HTML page elsewhere; no traceback ever leaves.
"""

from __future__ import annotations

import logging
import threading
from typing import Any
from urllib.parse import urlencode

from flask import Flask, g, jsonify, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from . import __version__
from .config import DEFAULTS, ENV_PREFIX
from .index import IndexUnavailable
from .openapi import openapi_spec
from .scorer import set_postings_cache_mb
from .search import BadQuery, ResultCache, Session, search

log = logging.getLogger(__name__)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then SEARCHSVC_* environment variables, then ``test_config``."""
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env(ENV_PREFIX)
    if test_config:
        app.config.from_mapping(test_config)
    app.json.sort_keys = False
    init_sessions(app)
    register_errors(app)
    register_api(app)
    register_pages(app)
    return app


# --- sessions --------------------------------------------------------------------------------


def init_sessions(app: Flask) -> None:
    app.extensions["searchsvc.sessions"] = threading.local()
    # One result cache per process: every thread's session answers from it.
    app.extensions["searchsvc.cache"] = ResultCache(app.config["CACHE_SIZE"])
    set_postings_cache_mb(app.config["POSTINGS_CACHE_MB"])


def get_session() -> Session:
    """This thread's session, refreshed once per request to the live generation.

    :raise IndexUnavailable: while there is no index (answered as 503).
    """
    if "session" not in g:
        from flask import current_app

        local = current_app.extensions["searchsvc.sessions"]
        session = getattr(local, "session", None)
        if session is None:
            cache = current_app.extensions["searchsvc.cache"]
            session = Session(current_app.config["INDEX_DIR"], cache=cache)
            local.session = session
        session.refresh()
        g.session = session
    return g.session


# --- errors ----------------------------------------------------------------------------------


def error_body(message: str, status: int) -> dict:
    """The one shape of every JSON error."""
    return {"ok": False, "error": message, "status": status}


def register_errors(app: Flask) -> None:
    def respond(message: str, status: int):
        if request.path.startswith("/api/") or request.path in ("/healthz", "/openapi.json"):
            return jsonify(error_body(message, status)), status
        return render_template("error.html", message=message, status=status), status

    @app.errorhandler(BadQuery)
    @app.errorhandler(IndexUnavailable)
    def domain_error(exc):
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
    from flask import current_app

    cfg = current_app.config
    return {
        "topic": request.args.get("topic", "").strip() or None,
        "page": int_arg("page", 1),
        "per_page": int_arg("per_page", cfg["PER_PAGE"]),
        "max_per_page": cfg["MAX_PER_PAGE"],
        "max_length": cfg["MAX_QUERY_LENGTH"],
    }


# --- JSON API --------------------------------------------------------------------------------


def register_api(app: Flask) -> None:
    @app.get("/api/search")
    def api_search():
        q = request.args.get("q", "")
        if not q.strip():
            raise BadQuery("q is required: /api/search?q=your+words")
        return jsonify({"ok": True, **search(get_session(), q, **search_args())})

    @app.get("/api/topics")
    def api_topics():
        topics = get_session().opened.manifest.topics()
        return jsonify(
            {"ok": True, "topics": [{"value": t, "count": c} for t, c in topics.items()]}
        )

    @app.get("/api/stats")
    def api_stats():
        opened = get_session().opened
        m = opened.manifest
        return jsonify(
            {
                "ok": True,
                "documents": len(m.pages),
                "sections": m.sections,
                "topics": len(m.topics()),
                "built_at": m.built_at,
                "generation": opened.name,
                "version": __version__,
            }
        )

    @app.get("/healthz")
    def healthz():
        return jsonify({"ok": True, "generation": get_session().generation})

    @app.get("/openapi.json")
    def openapi():
        return jsonify(openapi_spec(__version__))


# --- pages -----------------------------------------------------------------------------------


def register_pages(app: Flask) -> None:
    @app.get("/")
    @app.get("/search")
    def search_page():
        q = request.args.get("q", "").strip()
        session = get_session()
        topics = session.opened.manifest.topics()
        context = {"q": q, "topics": topics, "result": None, "error": None}
        status = 200
        if q:
            args = search_args()
            try:
                context["result"] = search(session, q, **args)
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

"""The HTTP face: the Flask app factory, the JSON API, the search page and error handling.

``create_app()`` layers settings: ``config.DEFAULTS``, then ``SEARCHSVC_*`` environment
variables, then an optional test mapping, and validates them before serving anything (a bad
value stops the start with its name). Production runs ``gunicorn 'searchsvc.web:create_app()'``.
The app owns one ``session.Engine`` (in ``app.extensions``) and a small pool of ``Session``s:
a request borrows one, asks it once for the live ``View`` and gives it back at teardown, so a
re-index is picked up without a restart, a request sees one generation from start to end, and
the number of open Whoosh searchers follows the requests being computed, not the connections
held open (under gevent a thread-local would be one per connection). Errors have one JSON
shape under ``/api/`` and an HTML page elsewhere; no traceback ever leaves. Every answer carries
the security headers of :data:`SECURITY_HEADERS`; links pass ``urls.safe_link``.
"""

from __future__ import annotations

import gzip
import logging
import re
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
from .errors import BadQuery, ExtractError, SearchsvcError
from .openapi import openapi_spec
from .search import search
from .session import Engine, Session, View
from .text import topic_label
from .urls import safe_link

log = logging.getLogger(__name__)

SEARCH_PARAMETERS = ("q", "topic", "page", "per_page", "sort")
READER_UNAVAILABLE = "Search is not available right now. Please try again in a few minutes."
READER_FAILED = "Something went wrong with this search. Please try again."
MAX_BODY_BYTES = 64 * 1024  # a POST /api/search body: a query of MAX_QUERY_LENGTH fits many times
_DIGITS = re.compile(r"[0-9]+")

# Sent with every answer. The pages use no inline script or style, so the policy allows none;
# the corpus pages served at their ids keep their own ``sandbox`` policy instead.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


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
    app.config.setdefault("MAX_CONTENT_LENGTH", MAX_BODY_BYTES)
    engine = Engine.from_config(app.config)
    app.extensions["searchsvc.engine"] = engine
    app.extensions["searchsvc.sessions"] = SessionPool(engine)
    app.teardown_appcontext(give_back_session)
    app.after_request(add_security_headers)
    register_errors(app)
    register_api(app)
    register_pages(app)
    if serves_corpus_pages(app.config):
        register_corpus_pages(app)
    return app


class SessionPool:
    """Idle ``Session``s of one engine, lent one per request being computed.

    Sessions are not thread-safe (each holds a Whoosh searcher), so a session is only ever in
    one request's hands; the pool grows to the number of requests computed at once (threads,
    or greenlets that reached the index) and keeps at most ``keep`` idle ones open.
    """

    def __init__(self, engine: Engine, keep: int = 16) -> None:
        self.engine = engine
        self.keep = keep
        self._idle: list[Session] = []
        self._lock = threading.Lock()

    def borrow(self) -> Session:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return self.engine.session()

    def give_back(self, session: Session) -> None:
        with self._lock:
            if len(self._idle) < self.keep:
                self._idle.append(session)
                return
        session.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for session in idle:
            session.close()


def live_view() -> View:
    """The live generation for this request, looked up once per request.

    :raise IndexUnavailable: while there is no index (answered as 503).
    """
    if "view" not in g:
        session = current_app.extensions["searchsvc.sessions"].borrow()
        try:
            view = session.refresh()
        except BaseException:
            current_app.extensions["searchsvc.sessions"].give_back(session)
            raise
        g.session, g.view = session, view
    return g.view


def give_back_session(exc: BaseException | None) -> None:
    session = g.pop("session", None)
    g.pop("view", None)
    if session is not None:
        current_app.extensions["searchsvc.sessions"].give_back(session)


def add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


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
        body, status = respond(exc.description or exc.name, exc.code or 500)
        response = app.make_response((body, status))
        for name, value in exc.get_headers():  # Allow on a 405, say; the body is ours
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s", request.path)
        return respond("internal error: the search service failed on this request", 500)


# --- request parameters ----------------------------------------------------------------------


def int_arg(name: str, default: int) -> int:
    """A whole number written in plain ASCII digits (not ``١٢``, ``1_000`` or `` +7 ``, which
    Python's ``int()`` would take).

    :raise BadQuery: when the parameter is present but not such a number.
    """
    raw = request.args.get(name)
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw):
        raise BadQuery(f"{name} must be a whole number, got {raw!r}")
    return int(raw)


def search_args(params: dict | None = None) -> dict:
    """Everything ``search()`` takes but the query text, from the query string or from
    ``params`` (a POST body already checked by :func:`body_params`)."""
    cfg = current_app.config
    if params is None:
        params = {
            "topic": request.args.get("topic", ""),
            "sort": request.args.get("sort", "").strip() or "relevance",
            "page": int_arg("page", 1),
            "per_page": int_arg("per_page", cfg["PER_PAGE"]),
        }
    return {
        "topic": (params.get("topic") or "").strip() or None,
        "sort": params.get("sort") or "relevance",
        "page": params.get("page", 1),
        "per_page": params.get("per_page", cfg["PER_PAGE"]),
        "max_per_page": cfg["MAX_PER_PAGE"],
        "max_length": cfg["MAX_QUERY_LENGTH"],
    }


BODY_TYPES = {
    "q": str,
    "topic": (str, type(None)),
    "page": int,
    "per_page": int,
    "sort": (str, type(None)),
}


def body_params() -> dict:
    """The JSON object of a ``POST /api/search``: the GET parameters as keys.

    :raise BadQuery: for a body that is not such an object (or a key it does not take).
    """
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadQuery(
            'the body must be a JSON object such as {"q": "your words"}, sent as '
            "Content-Type: application/json"
        )
    unknown = sorted(set(body) - set(BODY_TYPES))
    if unknown:
        raise BadQuery(f"unknown key {unknown[0]!r}: the body takes {', '.join(BODY_TYPES)}")
    for key, kinds in BODY_TYPES.items():
        value = body.get(key)
        if kinds is int and isinstance(value, float) and value.is_integer():
            body[key] = value = int(value)  # JSON's 70.0 is the integer 70
        if key in body and (isinstance(value, bool) or not isinstance(value, kinds)):
            kind = "a whole number" if kinds is int else "a string"
            raise BadQuery(f"{key} must be {kind}, got {value!r}")
    return body


def reject_unknown_parameters(accepted: tuple[str, ...]) -> None:
    """:raise BadQuery: for a query parameter the endpoint does not read (a typo, say), or one
    given more than once (which of them would count?)."""
    unknown = sorted(set(request.args) - set(accepted))
    if unknown:
        takes = ", ".join(accepted) if accepted else "no query parameters (send a JSON body)"
        raise BadQuery(f"unknown parameter {unknown[0]!r}: this endpoint takes {takes}")
    repeated = sorted(name for name in request.args if len(request.args.getlist(name)) > 1)
    if repeated:
        raise BadQuery(f"{repeated[0]} is given more than once: give it once")


# --- JSON API --------------------------------------------------------------------------------


def register_api(app: Flask) -> None:
    @app.get("/api/search")
    def api_search():
        reject_unknown_parameters(SEARCH_PARAMETERS)
        return answer_search(request.args.get("q", ""), search_args())

    @app.post("/api/search")
    def api_search_post():
        """The same search with the parameters in a JSON body: room for long queries."""
        reject_unknown_parameters(())
        params = body_params()  # read the whole body before taking a session
        return answer_search(params.get("q", ""), search_args(params))

    def answer_search(q: str, args: dict):
        results = search(live_view(), q, explain_empty=True, **args)
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
        except (OSError, EOFError, gzip.BadGzipFile, ExtractError) as exc:
            # unreadable, or over the size limits indexing keeps to: not served either
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
                context["result"] = search(view, q, explain_empty=True, **search_args()).to_dict()
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

        def result_link(url: str, article_id: str, anchor: str = "") -> str:
            """A result's href: its URL when it may be a link (``urls.safe_link``), else its
            page on this server when this server serves the corpus, else "" (no link)."""
            link = safe_link(url)
            if link or not serves_corpus_pages(app.config):
                return link
            page = url_for("corpus_page", page_id=article_id)
            return safe_link(f"{page}#{anchor}" if anchor else page)

        return {
            "site_name": app.config["SITE_NAME"],
            "page_url": page_url,
            "result_link": result_link,
        }

    @app.template_filter("reader_date")
    def reader_date(published: str) -> str:
        """ "2024-02-03" or "2024-02-03T09:00:00+00:00" -> "3 February 2024"."""
        try:
            day = date.fromisoformat(published[:10])
        except ValueError:
            return published
        return f"{day.day} {day:%B %Y}"

"""How gunicorn serves the app: a worker made for slow clients, and the settings it runs with.

gunicorn's ``gthread`` worker reads each request in one of its few pool threads, so eight idle
or slow connections per worker stall every other reader. :class:`Worker` is gunicorn's
``gevent`` worker: each connection is a greenlet that costs a few kilobytes while it waits, a
request line and headers must arrive within ``keepalive`` seconds, and searches (a few
milliseconds of CPU) run one after another, in between. It also answers the errors gunicorn
raises before the app sees a request (a request line over ``limit_request_line``, bad headers)
in the API's JSON error shape with the security headers, and sends no ``Server`` header.

This module is also a gunicorn configuration module: production runs
``gunicorn -c python:searchsvc.serving 'searchsvc.web:create_app()'`` and ``searchsvc serve``
applies the same :data:`SETTINGS`. The web app itself knows nothing of gunicorn.
"""

from __future__ import annotations

import json
import signal

from gunicorn import util
from gunicorn.http import errors, wsgi
from gunicorn.workers.ggevent import GeventWorker

from .web import SECURITY_HEADERS, error_body

# gunicorn settings, read by name when this module is gunicorn's -c python:searchsvc.serving.
worker_class = "searchsvc.serving.Worker"
worker_connections = 1000  # open connections per worker process, idle ones included
keepalive = 2  # seconds a request line and headers may take to arrive, and a connection idle
limit_request_line = 8190  # gunicorn's largest; longer queries go in POST /api/search
timeout = 30
graceful_timeout = 5  # on stop, requests in flight get 5 s (searches take milliseconds)
control_socket_disable = True  # see cli._run_gunicorn

SETTINGS = {
    "worker_class": worker_class,
    "worker_connections": worker_connections,
    "keepalive": keepalive,
    "limit_request_line": limit_request_line,
    "timeout": timeout,
    "graceful_timeout": graceful_timeout,
    "control_socket_disable": control_socket_disable,
}

LONG_LINE = (
    "the request line is longer than {limit} bytes: send a long query as POST /api/search "
    'with a JSON body, {{"q": "your words"}}'
)


class QuietResponse(wsgi.Response):
    """gunicorn's response without its ``Server: gunicorn`` line."""

    def default_headers(self) -> list[str]:
        return [h for h in super().default_headers() if not h.startswith("Server:")]


class Worker(GeventWorker):
    """gunicorn's gevent worker, answering protocol errors as JSON and naming no server."""

    def init_process(self) -> None:
        wsgi.Response = QuietResponse  # this worker process's responses (wsgi.create uses it)
        # Until gunicorn installs the worker's signal handlers (after gevent's patching, which
        # takes a while), a SIGTERM from the master would be lost and the worker would serve
        # on: take it from the start.
        signal.signal(signal.SIGTERM, self._stop_early)
        super().init_process()

    def _stop_early(self, signum, frame) -> None:
        self.alive = False

    def handle_error(self, req, client, addr, exc) -> None:
        """Protocol errors in the API's shape: gunicorn cannot read the path of a request line
        it refused, so every such answer is JSON, which readers' browsers show as text."""
        status = protocol_status(exc)
        if status is None:
            super().handle_error(req, client, addr, exc)
            return
        if isinstance(exc, errors.LimitRequestLine):
            message = LONG_LINE.format(limit=self.cfg.limit_request_line)
        else:
            message = f"the request cannot be read: {exc}"
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        try:
            util.write_nonblock(client, error_response(status, message))
        except Exception:
            self.log.debug("Failed to send error message.")


# gunicorn answers these itself: the app's own faults (500), 501, 403 and 417.
GUNICORNS_OWN = (
    errors.InvalidResponseHeader,
    errors.InvalidResponseHeaderName,
    errors.UnsupportedTransferCoding,
    errors.ConfigurationProblem,
    errors.ForbiddenProxyRequest,
    errors.ExpectationFailed,
)
REASONS = {400: "Bad Request", 414: "URI Too Long", 431: "Request Header Fields Too Large"}


def protocol_status(exc: BaseException) -> int | None:
    """The HTTP status of an error gunicorn raised reading a request, or None for others."""
    if isinstance(exc, errors.LimitRequestLine):
        return 414
    if isinstance(exc, errors.LimitRequestHeaders):
        return 431
    if isinstance(exc, GUNICORNS_OWN):
        return None
    if isinstance(exc, errors.ParseException):
        return 400
    return None


def error_response(status: int, message: str) -> bytes:
    body = json.dumps(error_body(message, status)).encode()
    head = [
        f"HTTP/1.1 {status} {REASONS.get(status, 'Bad Request')}",
        "Connection: close",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in SECURITY_HEADERS.items()),
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body

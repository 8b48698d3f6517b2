"""The errors searchsvc raises on purpose, each knowing how it is answered.

Every error a user can cause or fix derives from :class:`SearchsvcError` and carries the HTTP
status the web app answers with and the exit code the CLI exits with, so ``web`` has one handler
and ``cli`` one translation. The message always says what went wrong and what to do next.
Anything else that escapes is a bug: a 500 without a traceback on the web, a traceback in the CLI.
"""

from __future__ import annotations


class SearchsvcError(Exception):
    """Base of searchsvc's own errors."""

    status: int = 500  # the HTTP answer
    exit_code: int = 1  # the CLI's exit code: 1 a problem to fix, 2 a bad argument


class BadQuery(SearchsvcError, ValueError):
    """The query or a search parameter cannot be used; the message says why."""

    status = 400
    exit_code = 2


class ConfigError(SearchsvcError, ValueError):
    """A setting has a value that cannot be used; the message names it and what is allowed."""

    status = 500
    exit_code = 2


class IndexUnavailable(SearchsvcError):
    """There is no usable index yet (never built, another format, or unreadable)."""

    status = 503


class IndexLocked(SearchsvcError):
    """Another process is writing this index."""

    status = 409


class CorpusNotFound(SearchsvcError, FileNotFoundError):
    """The corpus folder does not exist or is not a folder."""

    status = 404


class DatasetError(SearchsvcError, ValueError):
    """A dataset folder that is missing or malformed; the message names the file and problem."""


class ExtractError(SearchsvcError, ValueError):
    """A page that cannot be turned into an article (unreadable, not HTML, no text)."""

    status = 422


class UnsafeIndexRun(SearchsvcError):
    """An indexing run would empty the live index or remove most of it; nothing was written.
    The message says what would happen and how to allow it."""

    status = 409


class ServeError(SearchsvcError):
    """``searchsvc serve`` cannot start: the address is taken or cannot be listened on."""


class IndexWriteError(SearchsvcError):
    """The index folder cannot be written (permissions, a read-only disk, no space left, a path
    that cannot hold folders); the message says what and where, and the live index is as it was.
    """

    status = 500


class CorpusUnreadable(SearchsvcError):
    """The corpus folder itself cannot be read (a folder below it that cannot is reported as
    skipped instead, and its pages keep their indexed version)."""

    status = 403

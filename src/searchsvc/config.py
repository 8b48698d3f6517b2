"""Settings: one registry feeding the web app, the CLI and the README.

Every setting has a name, a default and a help line. The Flask factory takes its defaults
from here and overrides them from ``SEARCHSVC_<NAME>`` environment variables; the CLI uses
the same names for its options' environment variables; ``tests/test_docs.py`` checks that
README documents each one. Nothing here imports Flask or click.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

ENV_PREFIX = "SEARCHSVC"


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str

    @property
    def envvar(self) -> str:
        return f"{ENV_PREFIX}_{self.name}"


SETTINGS: tuple[Setting, ...] = (
    Setting("INDEX_DIR", "index", "Folder holding the index generations (created if missing)."),
    Setting(
        "CORPUS_DIR",
        "corpus",
        "Folder of HTML pages that `searchsvc serve` indexes before serving when no index exists.",
    ),
    Setting(
        "BASE_URL",
        "/",
        "Prefix for article URLs of pages without a canonical link (URL = BASE_URL/ID).",
    ),
    Setting("PER_PAGE", 10, "Results per page when the request does not say."),
    Setting("MAX_PER_PAGE", 100, "Largest `per_page` a request may ask for."),
    Setting("MAX_QUERY_LENGTH", 1000, "Longest query, in characters, before it is refused."),
    Setting("CACHE_SIZE", 512, "Recent result pages kept per worker; 0 turns the cache off."),
    Setting(
        "POSTINGS_CACHE_MB",
        512,
        "Memory per worker for decoded posting lists, the ranking's working set; raise it "
        "for indexes of a million sections or more.",
    ),
    Setting("WORKERS", 2, "Processes that parse HTML during `searchsvc index`."),
    Setting("SITE_NAME", "searchsvc", "Name shown in the search page's header and title."),
)

DEFAULTS: dict[str, object] = {s.name: s.default for s in SETTINGS}


def setting(name: str) -> Setting:
    """Look up a setting by name. Raises KeyError for an unknown name."""
    for s in SETTINGS:
        if s.name == name:
            return s
    raise KeyError(name)


def from_env(name: str) -> object:
    """The setting's value from its environment variable, else its default."""
    s = setting(name)
    raw = os.environ.get(s.envvar)
    if raw is None:
        return s.default
    return type(s.default)(raw) if isinstance(s.default, int) else raw

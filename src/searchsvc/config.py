"""Settings: one registry feeding the web app, the CLI, the OpenAPI spec and the README.

Every setting has a name, a default (whose type, text, whole number or yes/no, is the
setting's), a help line and, for numbers, the range allowed. The Flask factory takes its
defaults from here, overrides them from ``SEARCHSVC_<NAME>`` environment variables and checks
the result with :func:`validate` before it serves anything; the CLI builds its options'
defaults, environment variables and ranges from the same entries;
``tests/test_docs.py`` checks that README documents each one. Nothing here imports Flask or
click, and no other module restates a default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass

from .errors import ConfigError

ENV_PREFIX = "SEARCHSVC"


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str
    min: int | None = None  # for whole numbers: the least and most allowed
    max: int | None = None

    @property
    def envvar(self) -> str:
        return f"{ENV_PREFIX}_{self.name}"

    @property
    def allowed(self) -> str:
        if isinstance(self.default, bool):
            return "1 or 0 (or true/false, yes/no, on/off)"
        if not isinstance(self.default, int):
            return "text"
        if self.max is None:
            return f"a whole number of at least {self.min}"
        return f"a whole number from {self.min} to {self.max}"

    def parse(self, value: object) -> object:
        """The value as this setting's type.

        :raise ConfigError: naming the variable, the bad value and what is allowed.
        """
        if isinstance(self.default, bool):
            return self._parse_bool(value)
        if not isinstance(self.default, int):
            return "" if value is None else str(value)
        try:
            number = int(str(value).strip())
        except ValueError:
            number = None
        too_low = number is not None and self.min is not None and number < self.min
        too_high = number is not None and self.max is not None and number > self.max
        if number is None or too_low or too_high:
            raise ConfigError(f"{self.envvar}={value!r} is not allowed: give {self.allowed}")
        return number

    def _parse_bool(self, value: object) -> bool:
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in BOOL_WORDS:
            return BOOL_WORDS[word]
        raise ConfigError(f"{self.envvar}={value!r} is not allowed: give {self.allowed}")


BOOL_WORDS = {
    **dict.fromkeys(("1", "true", "yes", "on"), True),
    **dict.fromkeys(("0", "false", "no", "off", ""), False),
}

SETTINGS: tuple[Setting, ...] = (
    Setting("INDEX_DIR", "index", "Folder holding the index generations."),
    Setting(
        "CORPUS_DIR",
        "corpus",
        "Folder of HTML pages that `searchsvc serve` brings the index up to date with before "
        "serving.",
    ),
    Setting(
        "BASE_URL",
        "/",
        "Prefix for article URLs of pages without a canonical link (URL = BASE_URL/ID).",
    ),
    Setting("PER_PAGE", 10, "Results per page when the request does not say.", 1, 100),
    Setting("MAX_PER_PAGE", 100, "Largest `per_page` a request may ask for.", 1, 1000),
    Setting(
        "MAX_QUERY_LENGTH", 1000, "Longest query, in characters, before it is refused.", 1, 100_000
    ),
    Setting("CACHE_SIZE", 512, "Recent result pages kept per worker; 0 turns the cache off.", 0),
    Setting(
        "POSTINGS_CACHE_MB",
        512,
        "Memory per worker for decoded posting lists, the ranking's working set; raise it "
        "for indexes of a million sections or more.",
        0,
    ),
    Setting("WORKERS", 2, "Processes that parse HTML while indexing.", 1, 64),
    Setting(
        "FOLLOW_EXTERNAL_LINKS",
        False,
        "Index symlinks that point outside the corpus folder too (1); by default they are "
        "skipped and reported, so only files under the corpus folder become searchable.",
    ),
    Setting(
        "MAX_PAGE_MB",
        8,
        "Largest page file read, in MB (checked before reading); a larger one is reported "
        "and skipped.",
        1,
        1024,
    ),
    Setting(
        "MAX_PAGE_TAGS",
        30_000,
        "Most HTML start tags a page may have (outside scripts and styles); a page with more "
        "is reported and skipped, so that no page takes more than about 2 s to extract.",
        100,
        10_000_000,
    ),
    Setting(
        "MAX_DECOMPRESSED_MB",
        16,
        "Largest page a `.gz` file may unpack to, in MB; decompression stops there and the "
        "page is reported and skipped.",
        1,
        1024,
    ),
    Setting(
        "RECENCY_BOOST",
        0,
        "Percent by which the newest article's score grows in relevance order (older ones "
        "less, undated ones not at all); 0 is off. A gentle nudge is 5 to 20.",
        0,
        100,
    ),
    Setting("SITE_NAME", "searchsvc", "Name shown in the search page's header and title."),
)

DEFAULTS: dict[str, object] = {s.name: s.default for s in SETTINGS}


def setting(name: str) -> Setting:
    """Look up a setting by name. Raises KeyError for an unknown name."""
    for s in SETTINGS:
        if s.name == name:
            return s
    raise KeyError(name)


def default(name: str) -> object:
    return setting(name).default


def from_env(name: str, environ: Mapping[str, str] | None = None) -> object:
    """The setting's value from its environment variable, else its default.

    :raise ConfigError: when the variable holds a value the setting does not allow.
    """
    s = setting(name)
    raw = (os.environ if environ is None else environ).get(s.envvar)
    return s.default if raw is None else s.parse(raw)


def validate(config: MutableMapping[str, object]) -> None:
    """Check and convert every setting in ``config`` in place (the app does this at start-up).

    :raise ConfigError: for the first setting whose value is not allowed.
    """
    for s in SETTINGS:
        if s.name in config:
            config[s.name] = s.parse(config[s.name])
    if int(config.get("PER_PAGE", 1)) > int(config.get("MAX_PER_PAGE", 1000)):
        raise ConfigError(
            f"{setting('PER_PAGE').envvar}={config['PER_PAGE']} is more than "
            f"{setting('MAX_PER_PAGE').envvar}={config['MAX_PER_PAGE']}: lower it or raise that"
        )

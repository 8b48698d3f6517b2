"""searchsvc: full-text search for a website's articles.

HTML pages flow one way: ``extract`` (HTML -> Article/Section) -> ``corpus`` (files, hashes,
parallel parsing) -> ``index`` (Whoosh, atomic generations) -> ``search`` (query -> results dict)
-> ``web`` and ``cli`` (JSON, HTML, terminal).
"""

__version__ = "0.1.0"

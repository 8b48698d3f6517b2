"""The index on disk: what a section document is, generations, and building them.

``schema`` says what one indexed section is; ``store`` owns the generations folder (the
``current`` link, the writer lock, the atomic switch, the small record servers read);
``build`` turns a corpus folder or in-memory articles into a new generation.
"""

from .build import IndexReport, build_from_articles, update_index
from .schema import make_schema, prepare_documents, section_body, section_documents
from .store import (
    FORMAT,
    GenerationRecord,
    Manifest,
    OpenGeneration,
    current_generation,
    generation_name,
    open_generation,
    writer_lock,
)

__all__ = [
    "FORMAT",
    "GenerationRecord",
    "IndexReport",
    "Manifest",
    "OpenGeneration",
    "build_from_articles",
    "current_generation",
    "generation_name",
    "make_schema",
    "open_generation",
    "prepare_documents",
    "section_body",
    "section_documents",
    "update_index",
    "writer_lock",
]

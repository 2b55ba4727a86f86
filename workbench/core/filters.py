"""Which passages a search may return: a filter on the documents they come from and on their text.

A :class:`PassageFilter` is plain data; the store turns it into the ids of matching live passages
(``PassageCatalog.passage_ids_where``) and the search pushes the resulting eligibility mask into
stage 1 — ineligible passages are never scored, so a narrow filter cannot empty the top-k the way
filtering after retrieval does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TypedDict


@dataclass(frozen=True)
class PassageFilter:
    """Conditions on a passage's document; every non-empty field must hold (AND), values within a
    field are alternatives (OR).

    ``folders``: absolute folder paths; a document matches when its path lies under one of them.
    ``file_types``: extensions without the dot, e.g. ``("pdf", "md")`` (matched case-insensitively).
    ``modified_from`` / ``modified_to``: the file's modification time, POSIX seconds, ``from`` inclusive,
    ``to`` exclusive; ``None`` leaves that end open.
    ``document_ids``: documents by catalog id.
    ``contains``: text every admitted passage holds, each a case-insensitive substring of its text (the
    query syntax's ``"a phrase"``; all must hold, unlike the alternatives of the other fields).
    ``excludes``: text no admitted passage holds (``-word``, ``-"a phrase"``), matched the same way.
    """

    folders: tuple[str, ...] = ()
    file_types: tuple[str, ...] = ()
    modified_from: float | None = None
    modified_to: float | None = None
    document_ids: tuple[int, ...] = ()
    contains: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        folders = tuple(f.rstrip("/") or "/" for f in self.folders)
        types = tuple(sorted({t.lower().lstrip(".") for t in self.file_types if t.strip(". ")}))
        object.__setattr__(self, "folders", folders)
        object.__setattr__(self, "file_types", types)
        object.__setattr__(self, "document_ids", tuple(int(d) for d in self.document_ids))
        object.__setattr__(self, "contains", _texts(self.contains))
        object.__setattr__(self, "excludes", _texts(self.excludes))
        if self.modified_from is not None and self.modified_to is not None and self.modified_from >= self.modified_to:
            raise ValueError("the date range is empty: its start is not before its end")

    @property
    def is_empty(self) -> bool:
        """True when the filter lets every passage through."""
        return not (
            self.folders
            or self.file_types
            or self.document_ids
            or self.contains
            or self.excludes
            or self.modified_from is not None
            or self.modified_to is not None
        )

    def describe(self) -> str:
        """One line for people, e.g. ``containing "late interaction" · without "bert" · type pdf · under
        /papers · modified from 2024-01-01``."""
        parts = [f'containing "{t}"' for t in self.contains] + [f'without "{t}"' for t in self.excludes]
        if self.file_types:
            parts.append("type " + ", ".join(self.file_types))
        if self.folders:
            parts.append("under " + ", ".join(self.folders))
        if self.modified_from is not None:
            parts.append("modified from " + _day(self.modified_from))
        if self.modified_to is not None:
            parts.append("modified before " + _day(self.modified_to))
        if self.document_ids:
            n = len(self.document_ids)
            parts.append(f"{n} chosen document{'s' if n != 1 else ''}")
        return " · ".join(parts) or "all passages"

    def to_dict(self) -> PassageFilterDict:
        return {
            "folders": self.folders,
            "file_types": self.file_types,
            "modified_from": self.modified_from,
            "modified_to": self.modified_to,
            "document_ids": self.document_ids,
            "contains": self.contains,
            "excludes": self.excludes,
        }


class PassageFilterDict(TypedDict):
    """:meth:`PassageFilter.to_dict`: its fields by name."""

    folders: tuple[str, ...]
    file_types: tuple[str, ...]
    modified_from: float | None
    modified_to: float | None
    document_ids: tuple[int, ...]
    contains: tuple[str, ...]
    excludes: tuple[str, ...]


def _texts(texts: tuple[str, ...]) -> tuple[str, ...]:
    """Text conditions with their runs of white space made one space, empty ones and repeats dropped."""
    return tuple(dict.fromkeys(t for t in (" ".join(str(t).split()) for t in texts) if t))


def _day(t: float) -> str:
    return time.strftime("%Y-%m-%d", time.localtime(t))

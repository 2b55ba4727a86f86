"""Real technical English present on every machine, offline: the Python standard library's docstrings.

Used by the scale benchmark (``TEXT_MODULES``: paragraphs of docstrings as encoded text) and by the
demo collection (:func:`doc_sections`: one module's reference text as headed sections, rendered to a
PDF). Nothing here imports Qt, torch or PyMuPDF.

Only an object's *own* docstring is taken (never one inherited from a base class): inherited text
such as ``Enum``'s long generic docstring would otherwise repeat under dozens of unrelated names.
"""

from __future__ import annotations

import importlib
import inspect
import re
from dataclasses import dataclass
from types import ModuleType

# Standard-library modules whose docstrings serve as real technical English on any machine, offline.
TEXT_MODULES = (
    "argparse",
    "asyncio",
    "collections",
    "concurrent.futures",
    "contextlib",
    "csv",
    "dataclasses",
    "datetime",
    "decimal",
    "difflib",
    "email.message",
    "enum",
    "fractions",
    "functools",
    "gzip",
    "heapq",
    "http.client",
    "inspect",
    "io",
    "itertools",
    "json",
    "logging",
    "mailbox",
    "math",
    "multiprocessing",
    "os",
    "pathlib",
    "pprint",
    "queue",
    "random",
    "re",
    "shutil",
    "socket",
    "statistics",
    "string",
    "subprocess",
    "tarfile",
    "tempfile",
    "textwrap",
    "threading",
    "typing",
    "unittest",
    "urllib.parse",
    "uuid",
    "xml.etree.ElementTree",
    "zipfile",
)

MODULE, OWN, REEXPORTED, MEMBER = 0, 1, 2, 3  # section kinds, in the order a size budget keeps them
# A sentence ends after two word characters (not "a.k.a.", "e.g.") and before a capital.
_SENTENCE_END = re.compile(r"(?<=[\w)\]]{2}[.!?])\s+(?=[A-Z(])")


@dataclass(frozen=True)
class DocSection:
    """One documented object: ``name`` qualified as a reader would write it (``"pathlib.Path.open"``),
    ``doc`` its own cleaned docstring, ``kind`` one of ``MODULE``, ``OWN`` (a class or function defined
    in the module or its private implementation), ``REEXPORTED`` (listed in ``__all__`` but defined in
    another public module, e.g. ``posix`` functions in ``os``) or ``MEMBER`` (a class's method or
    property)."""

    name: str
    doc: str
    kind: int


def own_doc(obj: object) -> str:
    """``obj``'s own docstring, indentation cleaned (``inspect.cleandoc``); ``""`` when it has none."""
    doc = getattr(obj, "__doc__", None)
    return inspect.cleandoc(doc) if isinstance(doc, str) and doc.strip() else ""


def class_doc(cls: type) -> str:
    """A class's own docstring or, when it has none (``concurrent.futures.ThreadPoolExecutor``), that
    of the ``__init__`` it defines in Python, where such classes describe their arguments."""
    init = vars(cls).get("__init__")
    return own_doc(cls) or (own_doc(init) if inspect.isfunction(init) else "")


def _is_documentable(obj: object) -> bool:
    return inspect.isclass(obj) or inspect.isroutine(obj)


def _defined_here(obj: object, name: str, module: ModuleType) -> bool:
    """Whether ``obj`` is implemented by ``module`` (named ``name`` by the reader): in it, in one of its
    submodules (``asyncio.tasks``), or in a private accelerator (``_csv``, ``_io``)."""
    owner = getattr(obj, "__module__", None) or ""
    homes = {name, module.__name__}
    return owner in homes or owner.startswith("_") or any(owner.startswith(h + ".") for h in homes)


def public_objects(module: ModuleType, name: str) -> list[tuple[str, object, int]]:
    """The module's public classes and functions as ``(attribute, object, kind)``, sorted by attribute.
    Public means listed in ``__all__`` (the author's own list) or, without one, no leading underscore
    and implemented by the module (imports from elsewhere are not its documentation)."""
    exported = getattr(module, "__all__", None)
    out = []
    for attr in sorted(set(exported) if exported is not None else dir(module)):
        obj = getattr(module, attr, None)
        if attr.startswith("_") or not _is_documentable(obj):
            continue
        here = _defined_here(obj, name, module)
        if here or exported is not None:
            out.append((attr, obj, OWN if here else REEXPORTED))
    return out


def class_members(cls: type) -> list[tuple[str, object]]:
    """Public methods and properties that ``cls`` itself defines (not inherited), sorted by name."""
    out = []
    for attr, raw in sorted(vars(cls).items()):
        if attr.startswith("_"):
            continue
        if isinstance(raw, property) or inspect.isroutine(raw) or isinstance(raw, (classmethod, staticmethod)):
            out.append((attr, raw.fget if isinstance(raw, property) else getattr(cls, attr, raw)))
    return out


def doc_sections(name: str) -> list[DocSection]:
    """Module ``name``'s reference text in document order: the module docstring, then each public
    class or function followed by its members. Objects without a docstring, and docstrings already
    given under another name (aliases such as ``unittest.main``), are left out."""
    module = importlib.import_module(name)
    sections = [DocSection(name, own_doc(module), MODULE)]
    seen = {sections[0].doc}
    for attr, obj, kind in public_objects(module, name):
        candidates = [(f"{name}.{attr}", obj, kind)]
        if inspect.isclass(obj):
            candidates += [(f"{name}.{attr}.{m}", v, MEMBER) for m, v in class_members(obj)]
        for qualified, member, member_kind in candidates:
            doc = class_doc(member) if inspect.isclass(member) else own_doc(member)
            if doc and doc not in seen:
                seen.add(doc)
                sections.append(DocSection(qualified, doc, member_kind))
    return sections


def summary_line(sections: list[DocSection], limit: int = 120) -> str:
    """A one-line summary of at most about ``limit`` characters: the first sentence of the module
    docstring, or, for a module without one (``pathlib`` in 3.11), of its first documented object's."""
    for section in sections:
        first = " ".join(section.doc.split("\n\n")[0].split())
        if first:
            sentence = _SENTENCE_END.split(first, 1)[0]
            return sentence if len(sentence) <= limit else sentence[:limit].rsplit(" ", 1)[0] + " …"
    return ""

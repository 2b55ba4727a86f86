"""The facade: an index folder with its encoder, and the library's pipeline around it.

:class:`Collection` is the one object the CLI, the GUI and scripts hold. It composes the modules of this
package, each one idea: opening and encoder trust (``facade``), the ingest pipeline (``ingest_pipeline``:
triage, encode, commit in crash-safe batches), background maintenance (``maintenance``: merges and
centroid retraining), watched folders (``watch``) and removal (``removal``). ``index_folders`` and
``models`` answer what a client asks before a collection exists: is this folder an index, which encoders
can I choose.

The names below are the facade's types a client may hold (a document row, a format error, the file
suffixes ingest reads), so that the GUI needs nothing below this package but :mod:`workbench.core`.
"""

from ..ingest import FORMATS, SUFFIXES
from ..store import DocumentRow, IndexFormatError
from .errors import EncoderMismatch
from .events import IngestEvent, IngestReport
from .facade import REOPEN_ATTEMPTS, Collection
from .query_text import require_utf8

__all__ = [
    "FORMATS",
    "REOPEN_ATTEMPTS",
    "SUFFIXES",
    "Collection",
    "DocumentRow",
    "EncoderMismatch",
    "IndexFormatError",
    "IngestEvent",
    "IngestReport",
    "require_utf8",
]

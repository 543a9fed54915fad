"""The reject vocabulary shared by the readers and both write paths: the record key a reader
sets when it could not make a record of a row, and a rejected row with its reason.

It sits below the readers (`ingest.sources`, `ingest.columns`), the fast path (`ingest.bulk`)
and the writer (`ingest.writer`), so that none of them has to import another for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# A record carrying this key (with the reason) could not be read; it is rejected like any other
REJECT = "__reject__"


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str
    record: dict[str, Any]

"""Import the heavy libraries without the optional modules that cost seconds and do nothing here.

``hidden(...)`` makes named modules look absent while a library is first imported, then puts
them back, so only that library's optional feature is skipped and a later import of the module
still works. The modules hidden, and why nothing is lost:

- ``rfc3987_syntax``: jsonschema compiles an IRI grammar with it when it loads its format
  checkers (1.3 s here). It only checks ``"format": "iri"`` and ``"iri-reference"``; the
  Vega-Lite schema altair validates against uses ``uri``, ``uri-reference`` and ``color-hex``
  only, and nbformat validates with fastjsonschema.
- ``pyarrow.fs``: papermill imports it for its HDFS handler (pyarrow itself, ~0.4 s); reports
  read and write local files.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

UNUSED = ("rfc3987_syntax", "pyarrow.fs")


@contextlib.contextmanager
def hidden(*names: str) -> Iterator[None]:
    """Within the block, ``import NAME`` raises ImportError for each of ``names`` not yet imported.

    Examples
    --------
    >>> with hidden("rfc3987_syntax"):
    ...     import jsonschema  # its format checkers load without the IRI grammar
    """
    placed = [n for n in names if n not in sys.modules]
    for name in placed:
        sys.modules[name] = None  # type: ignore[assignment]  # the import system's "absent"
    try:
        yield
    finally:
        for name in placed:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]

"""What the program calls each code it mapped: the import report's source labels, by code.

A site code such as ``north`` came from the export's "North Campus" through the mapping's
``codes``; the report's header, the index and the sites page name the site by that label, so
a reader sees one name for one site everywhere.
"""

from __future__ import annotations

from typing import Any


def code_names(report: dict[str, Any], table: str, column: str) -> dict[str, str]:
    """Each code of ``table.column`` in an import report -> the source label with the most rows
    mapped to it (ties: the first listed).

    >>> codes = {"North Campus": {"to": "north", "rows": 669}, "N. Campus": {"to": "north",
    ...          "rows": 3}, "Main": {"to": "main", "rows": 700}}
    >>> code_names({"tables": {"episodes": {"codes": {"site": codes}}}}, "episodes", "site")
    {'north': 'North Campus', 'main': 'Main'}
    """
    codes = report.get("tables", {}).get(table, {}).get("codes", {}).get(column, {})
    best: dict[str, tuple[int, str]] = {}
    for value, mapped in codes.items():
        code, n = str(mapped.get("to")), int(mapped.get("rows") or 0)
        if mapped.get("to") is not None and n > best.get(code, (-1, ""))[0]:
            best[code] = (n, str(value))
    return {code: value for code, (_, value) in best.items()}

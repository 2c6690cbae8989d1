"""The identifier guard used at load: direct identifiers that must not reach the database.

The guard follows the HIPAA Safe Harbor list of direct identifiers that can
appear in free-text columns of an export. Patterns are RE2 (DuckDB's regex
engine) so that the loader can scan tens of millions of values in SQL.
"""

from __future__ import annotations

# (label, RE2 pattern, applies to id columns only)
IDENTIFIER_PATTERNS: tuple[tuple[str, str, bool], ...] = (
    (
        "an e-mail address",
        r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
        False,
    ),
    ("a social security number", r"(^|[^0-9])[0-9]{3}-[0-9]{2}-[0-9]{4}([^0-9]|$)", False),
    (
        "a phone or fax number",
        r"(^|[^0-9])(\+?1[ .-]?)?(\([0-9]{3}\)\s?|[0-9]{3}[ .-])[0-9]{3}[ .-][0-9]{4}([^0-9]|$)",
        False,
    ),
    ("a URL", r"(?i)(https?://|ftp://|www\.)|\.(com|org|net|edu|gov|io)(/|$)", False),
    ("an IP address", r"(^|[^0-9.])([0-9]{1,3}\.){3}[0-9]{1,3}([^0-9.]|$)", False),
    (
        "a street address",
        r"(?i)(^|\s)[0-9]{1,6}\s+([A-Za-z]+\s+){1,3}(street|st|avenue|ave|road|rd|boulevard|blvd"
        r"|lane|ln|drive|dr|court|ct|way|place|pl|terrace|highway|hwy)\.?(\s|,|$)",
        False,
    ),
    ("a medical record number", r"(?i)(^|[^a-z])mrn([^a-z]|$)", False),
    ("a person's name", r"^[A-Z][a-z]+(,\s*|\s+)([A-Z]\.?\s+)?[A-Z][a-z]+$", True),
)

"""Words for the codes of the data contract, as the report shows them to a reader.

The report writes these labels in its tables, charts and sentences and keeps each code in the
tooltip (and metrics.json, whose keys and values are the codes); level-of-care names come from
the loaded ``levels_of_care`` table (the ASAM names when the program ships none).

>>> label("case_management", SERVICE_TYPES), label("dropped_out", REASONS)
('Case management', 'Dropped out')
>>> level("3.7-WM", {"3.7-WM": "Medically monitored inpatient withdrawal management"})
'Medically monitored inpatient withdrawal management'
>>> level("no_next_care", {}), label("a_new_code", {})
('No next care', 'A new code')
"""

from __future__ import annotations

from collections.abc import Mapping

SERVICE_TYPES = {
    "group": "Group therapy",
    "individual": "Individual therapy",
    "family": "Family therapy",
    "psychoeducation": "Psychoeducation",
    "skills": "Skills training",
    "medication": "Medication management",
    "case_management": "Case management",
    "assessment": "Assessment",
    "peer_support": "Peer support",
    "other": "Other",
}
REASONS = {  # SAMHSA TEDS-D REASON
    "completed": "Completed treatment",
    "dropped_out": "Dropped out",
    "terminated": "Terminated by the program",
    "transferred": "Transferred elsewhere",
    "incarcerated": "Incarcerated",
    "died": "Died",
    "other": "Other",
}
NEXT_CARE = {  # where a discharge went, besides a level of care (transitions)
    "no_next_care": "No next care",
    "pending": "Not known yet (window open)",
}


def label(code: str, words: Mapping[str, str]) -> str:
    """The reader's word for ``code``; a code with none reads as itself, capitalised, spaced."""
    if code in words:
        return words[code]
    text = str(code).replace("_", " ")
    return text[:1].upper() + text[1:]


def level(code: str, names: Mapping[str, str]) -> str:
    """A level of care by its name in ``levels_of_care`` (``names``: code -> name), or where a
    discharge went when it went to no level."""
    if code in NEXT_CARE:
        return NEXT_CARE[code]
    return names.get(code, str(code))

"""The definitions appendix in plain language, for the director who reads the report.

Each text says what a figure of ``dictionary.ENTRIES`` counts, in words, with no code names,
symbols or formulas; the exact rules stay in the dictionary (docs/metrics.md, ``make docs``),
and a test keeps the two in step (every entry has its plain text, and none has notation).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..dictionary import Entry

COMMON = (
    "Each figure covers one period (a month, from its first to its last day) and counts what the "
    "records show had happened by the \u201cas of\u201d date in the header, usually the period's "
    "last day, so loading later records never changes a past period's figures. Unless the "
    "header says otherwise, figures cover intensive outpatient care (ASAM level 2.1) at every "
    "site and on every track. A length of stay counts both the admission and the discharge day. "
    "A client disengaged when the discharge was recorded as dropped out or terminated by the "
    "program. A rate with nothing to count over is shown as a dash, not as 0."
)

PLAIN: dict[str, str] = {
    "census.active_at_start": "Episodes of care that were open on the first day of the period.",
    "census.admissions": "Episodes of care that began in the period.",
    "census.discharges": "Episodes of care that ended in the period.",
    "census.active_at_end": (
        "Episodes of care still open on the last day of the period: those open at the start, "
        "plus the admissions, less the discharges."
    ),
    "census.clients_served": (
        "The people in care at any time in the period; someone with two episodes counts once."
    ),
    "attendance.attendance_rate": (
        "Of the sessions clients were scheduled for in the period, the share they attended. "
        "Sessions the program cancelled are left out; sessions a client cancelled or missed "
        "count as not attended."
    ),
    "attendance.no_show_rate": (
        "Of the same sessions, the share a client missed without cancelling."
    ),
    "dosage.share_meeting_threshold": (
        "A client-week is a full Monday-to-Sunday week in care (the weeks of admission and "
        "discharge are left out). This is the share of those weeks in which the client attended "
        "at least the ASAM minimum for intensive outpatient care: 9 hours for adults, 6 for "
        "adolescents (under 18 in the year of admission)."
    ),
    "dosage.median_hours_per_client_week": (
        "The middle number of hours attended over those client-weeks: half had more, half fewer."
    ),
    "discharges.completion_rate": (
        "Of the period's discharges, the share recorded as having completed treatment."
    ),
    "discharges.median_length_of_stay_days": (
        "The middle length of stay, in days, of the period's discharges: half stayed longer, "
        "half shorter."
    ),
    "retention.day_N": (
        "Of the people admitted in the 12 months to the end of the period, the estimated share "
        "still in care (or who had completed) 30, 60 and 90 days after admission. People "
        "admitted recently count for as long as they have been followed so far (the "
        "Kaplan\u2013Meier method), so the estimate uses everyone without waiting 90 days; the "
        "shaded band around the curve is its 95% range."
    ),
    "retention.initiated_14d": (
        "Of those admitted, the share who attended a session in their first 14 days."
    ),
    "retention.engaged_34d": (
        "Of those who attended in their first 14 days, the share who attended at least two more "
        "sessions within 34 days of that first one."
    ),
    "transitions.outcome": (
        "Where people went after a discharge in the period, within 14 days: down to less "
        "intensive care, up to more intensive care, on to care of the same intensity, no next "
        "care found, or not known yet (their 14 days have not passed). When someone starts two "
        "episodes on one day, the more intensive one counts."
    ),
    "transitions.step_down_rate": (
        "Of the discharges whose next step is known, the share that stepped down to less "
        "intensive care; discharges whose 14 days have not passed yet are left out."
    ),
    "inflow.outcome": (
        "How the period's admissions arrived: stepped down from more intensive care, stepped up "
        "from less intensive care, from care of the same intensity, or directly (with no episode "
        "of care just before)."
    ),
    "continuity.rate_Wd": (
        "Of the people discharged from residential or inpatient care in the period (deaths left "
        "out), the share who attended a session, or were admitted, elsewhere in the program "
        "within 7 (or 14) days. Each rate counts only the discharges whose 7 (or 14) days had "
        "fully passed by the as-of date; the later ones are listed as still within their "
        "window. The two rates are therefore over different groups of discharges, and the "
        "14-day rate can be lower than the 7-day one."
    ),
    "outcomes.courses": (
        "Outcome figures look at the episodes that ended in the period after at least two "
        "attended treatment sessions (a course of treatment), and at the questionnaire scores "
        "recorded during the episode (PHQ-9 for depression, GAD-7 for anxiety, and the "
        "program's own). A course is paired on a questionnaire when it has scores on two "
        "different days: its first and its last score are compared."
    ),
    "outcomes.paired_rate": (
        "The share of courses of treatment with a first and a last PHQ-9 or GAD-7 score "
        "(data completeness; the NHS Talking Therapies services expect 90% or more)."
    ),
    "outcomes.reliable_improvement_rate": (
        "A change is reliable when it is larger than measurement error allows: the PHQ-9 down "
        "by 6 points or more, the GAD-7 by 4 or more. A course improved reliably when at least "
        "one questionnaire did and none got reliably worse, and deteriorated reliably in the "
        "opposite case."
    ),
    "outcomes.recovery_rate": (
        "Of the courses that started at a clinical level (a PHQ-9 of 10 or more, or a GAD-7 of "
        "8 or more), the share that ended below that level on every questionnaire (recovery); "
        "reliable recovery also needs a reliable improvement."
    ),
    "outcomes.by_instrument": (
        "The same figures for each questionnaire on its own, with the average first and last "
        "score. Response is a fall of at least half from the first score; remission (PHQ-9) a "
        "last score under 5 after a first of 10 or more. A figure a questionnaire does not "
        "define is shown as a dash."
    ),
    "outcomes.measured_at_intake_rate": (
        "Measurement-based care: the share of the period's admissions scored on a standardized "
        "questionnaire in their first 14 days, and the share of the people in care for 30 days "
        "or more at the end of the period who were scored in the last 30 days."
    ),
    "pchart": (
        "The attendance chart sets each month's rate against the 12-month average, with a band "
        "that is wider for months with fewer sessions. A month outside the band differs by more "
        "than chance would explain and is worth a look."
    ),
    "suppression": (
        "In a report for outside readers no count from 1 to 10 is shown, nor any rate or other "
        "figure from which one could be worked out, following the CMS cell-size policy. The "
        "header says whether this report does so."
    ),
    "noms.<domain>": (
        "From the items recorded at admission and at discharge: no use of the primary "
        "substance, working or a student, housed, no arrests, and any self-help attendance "
        "(each in the 30 days before). An empty item is unknown, never a no. Self-reported."
    ),
    "noms.ended": (
        "The episodes that ended in the period, for any reason, and how many have the items "
        "recorded at admission and at discharge."
    ),
    "noms.<domain>.paired_rate": (
        "Of the episodes that ended, the share known at both admission and discharge; only "
        "these count, so a change is not a change of who answered."
    ),
    "noms.<domain>.change": (
        "Of the episodes known at both, the shares positive at admission and at discharge, and "
        "their difference in percentage points. Not an effect of treatment."
    ),
    "noms.abstinent.reduced_rate": (
        "Of those known at both who were using at admission, the share using less often at "
        "discharge, stopping included."
    ),
    "follow_up.<window>.due": (
        "Everyone discharged, except by death, is due a contact at 1, 3, 6 and 12 months "
        "(days 15-59, 60-134, 135-269, 270-455); each window counts the discharges whose "
        "window closed in the 12 months to the period's end, tried or not."
    ),
    "follow_up.<window>.reached": (
        "Each person due is reached, else found to have died, else declined, else tried but "
        "not reached, else not attempted. Deaths show in internal reports only."
    ),
    "follow_up.<window>.response_rate": "Of those due, the share reached in the window.",
    "follow_up.<window>.abstinent_rate_responders": (
        "No use in the past 30 days among those reached (a best case), beside the same people "
        "over everyone due, as if all not reached were using (a worst case)."
    ),
    "follow_up.<window>.housed_known": (
        "Among those reached who answered, the shares working or in school, housed, and with "
        "no arrests."
    ),
}

# Where an entry's standard is written in notation, the appendix names its source in words.
SOURCES: dict[str, str] = {
    "discharges.completion_rate": "SAMHSA TEDS-D discharge reasons; nationally, 37.7% of "
    "intensive outpatient discharges in TEDS-D 2004 were completions",
    "discharges.median_length_of_stay_days": "counted as TEDS-D counts a stay; nationally, "
    "the median adult intensive outpatient stay was 41 days (TEDS-D 2004)",
    "suppression": "CMS cell-size suppression policy (no count under 11)",
    "retention.initiated_14d": "adapted from the HEDIS measure of initiation and engagement "
    "in treatment (IET)",
    "retention.engaged_34d": "adapted from the HEDIS measure of initiation and engagement in "
    "treatment (IET)",
    "outcomes.courses": "NHS Talking Therapies, where a finished course of treatment is two or "
    "more attended treatment appointments, compared by their first and last scores",
    "outcomes.paired_rate": "NHS Talking Therapies, which expects paired scores for 90% or "
    "more of finished courses",
    "outcomes.recovery_rate": "NHS Talking Therapies (nationally about half recover, and "
    "about as many recover reliably)",
    "outcomes.by_instrument": "HEDIS depression response and remission (DRR-E) and ICSI; "
    "the thresholds of NHS Talking Therapies",
    "noms.<domain>": "SAMHSA's National Outcome Measures, from its treatment data set (TEDS)",
    "noms.ended": "",
    "noms.<domain>.paired_rate": "SAMHSA's block grant outcome tables, over those known",
    "noms.<domain>.change": "SAMHSA's block grant outcome tables, in percentage points",
    "noms.abstinent.reduced_rate": "",
    "follow_up.<window>.due": "CARF (outcomes at points in time after services)",
    "follow_up.<window>.reached": "",
    "follow_up.<window>.response_rate": "GPRA aims at 80%; the NAATP pilot reached 35% at 3 months",
    "follow_up.<window>.abstinent_rate_responders": "Vista Recovery 20/20 (assume they are using)",
    "follow_up.<window>.housed_known": "",
}
FORMAL = (
    "The exact rules behind each figure, for analysts, are in the metric dictionary of "
    "iop-metrics (docs/metrics.md)."
)


def appendix(entries: Sequence[Entry]) -> list[dict[str, str]]:
    """The appendix rows: each entry's name, its plain text and the source it follows."""
    return [
        {"name": e.name, "text": PLAIN[e.key], "source": SOURCES.get(e.key, e.standard)}
        for e in entries
    ]

"""The report's own figures, one entry each (its definitions appendix and docs/metrics.md), in the
report's order, and the tables each section's SQL reads."""

from __future__ import annotations

from .entry import Entry

ENTRIES: tuple[Entry, ...] = (
    Entry(
        "census.active_at_start",
        "Active at start",
        "In-scope episodes admitted before P.start and not discharged before it.",
    ),
    Entry("census.admissions", "Admissions", "In-scope episodes admitted in P."),
    Entry("census.discharges", "Discharges", "In-scope episodes discharged in P."),
    Entry(
        "census.active_at_end",
        "Active at end (census)",
        "In-scope episodes admitted on or before P.end and not discharged by it. Always "
        "equals active at start + admissions - discharges.",
    ),
    Entry(
        "census.clients_served",
        "Clients served",
        "Distinct clients with an in-scope episode overlapping P.",
    ),
    Entry(
        "attendance.attendance_rate",
        "Attendance rate",
        "Share of client-attributable scheduled sessions that were attended.",
        "attended sessions dated in P",
        "attended + no-show + cancelled by client",
        "sessions cancelled by the program",
    ),
    Entry(
        "attendance.no_show_rate",
        "No-show rate",
        "Share of sessions the client missed.",
        "no-show sessions dated in P",
        "attended + no-show + cancelled by client",
        "sessions cancelled by the program",
    ),
    Entry(
        "dosage.share_meeting_threshold",
        "Client-weeks meeting the ASAM threshold",
        "A client-week is an in-scope episode and a Monday-Sunday week whose Sunday falls in "
        "P, open all seven days (admission and discharge weeks do not count). Hours = attended "
        "minutes / 60. Threshold 9 hours, 6 for clients under 18 in the year of admission "
        "(unknown birth year: adult).",
        "client-weeks with hours >= threshold",
        "client-weeks",
        standard="ASAM Criteria, level 2.1 (9 h adults, 6 h adolescents)",
    ),
    Entry(
        "dosage.median_hours_per_client_week",
        "Median hours per client-week",
        "Median (interpolated) of hours over the client-weeks above.",
    ),
    Entry(
        "discharges.completion_rate",
        "Completion rate",
        "Share of in-scope discharges in P with reason completed.",
        "completed",
        "all in-scope discharges in P",
        standard="SAMHSA TEDS-D REASON codes; reference: TEDS-D 2004 IOP discharges 37.7% "
        "completed",
    ),
    Entry(
        "discharges.median_length_of_stay_days",
        "Median length of stay",
        "Median LOS in days of in-scope discharges in P.",
        standard="TEDS-D LOS convention (both ends count); reference: adult IOP median 41 days",
    ),
    Entry(
        "retention.day_N",
        "Estimated 30/60/90-day retention",
        "Kaplan-Meier estimate of the share still engaged (not disengaged) for at least N "
        "days, over in-scope episodes admitted in the 12 months ending at P.end. A disengaged "
        "discharge on or before as_of is an event at t = LOS; everyone else is censored at "
        "as_of - admit + 1: completers stay at risk. R(N) = product over event times u < N "
        "of (1 - d_u/n_u), i.e. lifelines' S(N - 1); 95% band by Greenwood's variance on the "
        "log(-log) scale. Past the last observed time the estimate keeps its last value. An "
        "external copy prints it, its band and the curve to the whole percent, and shows an "
        "estimate when none or K or more disengagements fell since the last point shown, or "
        "when, so printed, the two leave that count more than one value to a reader who knows "
        "the counts at risk. It prints the cohort (the 12 months' admissions) to the nearest "
        "ten, halves up (252 as 'about 250', and 3 at a K of 3 as 'about 10', never 'about 0'; "
        "the metrics.json's suppression.rounded names it), "
        "and hides it to protect another count only when no other cell will do.",
        standard="NIDA: at least 3 months in treatment",
    ),
    Entry(
        "retention.initiated_14d",
        "Initiation within 14 days",
        "Cohort episodes with an attended session on day 0..13 after admission (day k = "
        "admit + k).",
        "episodes initiated",
        "cohort episodes with admit + 13 <= as_of",
        standard="adapted from HEDIS IET (initiation)",
    ),
    Entry(
        "retention.engaged_34d",
        "Engagement within 34 days",
        "Initiated cohort episodes with two or more further attended sessions dated f..f+34, "
        "f being the initiating session's date (a second session on day f counts).",
        "episodes engaged",
        "cohort episodes with admit + 47 <= as_of",
        standard="adapted from HEDIS IET (engagement)",
    ),
    Entry(
        "transitions.outcome",
        "Transition after discharge",
        "For each in-scope discharge in P (date D) the next episode is the client's earliest "
        "other episode that began after this one began, no later than D + W (W = 14 days by "
        "default) and on or before as_of, and had not ended before D (ties: higher intensity, "
        "then smaller id). step_down / step_up / lateral compare intensity; no_next_care when "
        "there is none and D + W <= as_of; pending when there is none yet.",
    ),
    Entry(
        "transitions.step_down_rate",
        "Step-down rate (headline tile)",
        "Share of determined outcomes that stepped down. Our reading: pending discharges are "
        "left out, as their outcome is not known yet.",
        "step_down",
        "step_down + step_up + lateral + no_next_care",
        "pending",
    ),
    Entry(
        "inflow.outcome",
        "Inflow",
        "For in-scope admissions in P: the previous episode is the client's episode, "
        "discharged on or before as_of, whose next episode (same rule and W) is this "
        "admission; if several, the one discharged last. stepped_down_into (it was more "
        "intensive), stepped_up_into, lateral_into, or direct (none).",
    ),
    Entry(
        "continuity.rate_Wd",
        "Continuity of care within 7 / 14 days",
        "Residential or inpatient discharges in P (any level of those settings, the site in "
        "scope if any) whose client attended a session in, or was admitted to, another "
        "episode on day D+1..D+W.",
        "discharges followed up",
        "discharges whose window has passed (D + W <= as_of)",
        "reason died; discharges whose window is still open (reported as pending)",
        standard="analogue of NQF/CBE #3453",
    ),
    Entry(
        "outcomes.courses",
        "Outcome cohort: ended episodes and courses of treatment",
        "ended: in-scope episodes with discharge_date in P and on or before as_of (any "
        "reason; a step-down ends an episode too). courses: ended episodes with 2+ attended "
        "sessions whose service_type is not assessment, dated admit_date..discharge_date. An "
        "episode's scores on an instrument: its assessments of it dated admit_date.."
        "discharge_date; several on one date count once, at their mean. Paired: scores on 2+ "
        "dates; first / last = the earliest / latest date's score.",
        standard="NHS Talking Therapies: finished a course of treatment (2+ attended treatment "
        "appointments); first and last scores",
    ),
    Entry(
        "outcomes.paired_rate",
        "Paired scores (data completeness)",
        "Share of courses of treatment in the combined classification: paired on PHQ-9, "
        "GAD-7 or both.",
        "courses paired on PHQ-9 or GAD-7 (paired)",
        "courses",
        standard="NHS Talking Therapies expects paired scores for 90%+ of finished courses",
    ),
    Entry(
        "outcomes.reliable_improvement_rate",
        "Reliable improvement / deterioration",
        "Per paired instrument, worse = last - first (first - last when higher is better). "
        "Reliable improvement on it: worse <= -reliable_change (PHQ-9 6, GAD-7 4 points); "
        "deterioration: worse >= +reliable_change. Combined over the paired ones of PHQ-9 and "
        "GAD-7: improvement = one improved reliably and none deteriorated reliably; "
        "deterioration = the reverse; mixed change and no change are neither "
        "(no_reliable_change = paired - both). Our reading: a change of exactly the "
        "threshold counts, as the spec's <= says.",
        "paired courses that improved (deteriorated) reliably",
        "paired",
        standard="NHS Talking Therapies (GOV.UK Ethnicity facts and figures; CORC)",
    ),
    Entry(
        "outcomes.recovery_rate",
        "Recovery and reliable recovery",
        "at_caseness: a paired course with PHQ-9 >= 10 or GAD-7 >= 8 at the first score of "
        "one of its paired instruments. Recovery: at caseness and no paired instrument a case "
        "at the last score. Reliable recovery: recovery and reliable improvement.",
        "courses recovered (reliably recovered)",
        "at_caseness",
        "paired courses not at caseness at the start",
        standard="NHS Talking Therapies recovery rate (national ~50%; reliable recovery ~48%)",
    ),
    Entry(
        "outcomes.by_instrument",
        "Outcomes per instrument",
        "For each instrument (built-in PHQ-9, GAD-7, BAM-use and the rows of the contract "
        "table instruments) with a course paired on it, over those courses: case_at_start, "
        "mean first and last score, reliable improvement and deterioration, not_case_at_end "
        "(a case at start, not at end), response (a case at start and last <= 0.5 * first; "
        "lower-is-better instruments with a caseness; rate over case_at_start) and remission "
        "(PHQ-9 only: first >= 10 and last < 5; rate over courses with first >= 10). A figure "
        "the instrument does not define is null, never 0: BAM-use has no caseness and no "
        "reliable change; for a higher-is-better instrument a case is a score at or below "
        "caseness and improvement is a rise.",
        standard="HEDIS DRR-E / ICSI (response, remission); NHS Talking Therapies thresholds",
    ),
    Entry(
        "outcomes.measured_at_intake_rate",
        "Measured at intake / in the last 30 days",
        "measured_at_intake: in-scope admissions in P with admit_date + 13 <= as_of "
        "(intake_eligible) scored on any instrument on day 0..13 of the episode (our reading: "
        "within the episode, so not after a discharge in those days). measured_last_30d: "
        "in-scope episodes open at the end of P that began on or before end - 29 (open_30d) "
        "scored on any instrument on end - 29..end.",
        "episodes scored in the window",
        "intake_eligible / open_30d",
        standard="The Joint Commission CTS.03.01.09 (a standardized instrument monitors each "
        "person; the cadence is the program's own)",
    ),
    Entry(
        "pchart",
        "Control chart (p-chart)",
        "Monthly attendance rate against its 12-month centre line p = sum attended / sum "
        "client-attributable sessions, with 3-sigma limits p +/- 3 sqrt(p(1-p)/n) per month. "
        "A month outside the limits is flagged as unusual.",
    ),
    Entry(
        "suppression",
        "Small-cell suppression",
        "With --suppress K, no count of 1..K-1 is shown, nor a rate whose numerator, its "
        "complement or denominator is 1..K-1; a second cell is hidden wherever one hidden cell "
        "could be recovered from totals: the smallest that frees it, the hidden cell's "
        "neighbours first, and a headline figure (the retention cohort) only when no other "
        "will do. The retention cohort is printed to the nearest ten (suppression.rounded; a "
        "cohort above 0 never below ten), and the model takes it as known only within its ten. "
        "A hidden count reads '<K', else 'suppressed' (1 or more: zeros are printed); over a "
        "run's ledger, a figure whose mark would let a count an earlier month hid be worked "
        "out reads 'withheld' (0 or more) instead, for the program and every site, zeros too.",
        standard="CMS cell size suppression policy (K = 11)",
    ),
)


# The tables each section's SQL reads (issue #11). "episodes" means episodes joined to
# levels_of_care (scoped_episodes / visible_episodes). The episode_* tables are derived tables,
# built at every load (compute/derived.py); each SQL file's header names the files it reads.
TABLES_READ: tuple[tuple[str, str, str], ...] = (
    ("census", "episodes", "census.sql"),
    ("attendance", "episodes, sessions", "attendance.sql"),
    ("dosage", "episodes, sessions, clients (birth year)", "dosage_weeks.sql, dosage.sql"),
    ("discharges", "episodes", "discharges.sql"),
    (
        "retention",
        "episodes, episode_engagement (derived: first attended session on day 0..13 and the "
        "third in its 35 days, filtered by as_of)",
        "retention_cohort.sql, retention_curve.sql, retention.sql",
    ),
    (
        "transitions",
        "episodes, episode_next (derived: each discharge's next episode, filtered by as_of and W)",
        "transitions_detail.sql, transitions.sql, transition_matrix.sql (the report's flow)",
    ),
    (
        "inflow",
        "episodes, episode_next (derived, as for transitions)",
        "inflow_detail.sql, inflow.sql",
    ),
    ("continuity", "episodes (all levels), sessions", "continuity_detail.sql, continuity.sql"),
    (
        "site comparison",
        "episodes, clients, sessions (attendance, courses), episode_next (step-down), "
        "assessments and instruments (reliable improvement, recovery)",
        "case_mix_*.sql, case_mix_patterns.sql, attendance.sql; outcomes_ended.sql, "
        "outcomes_detail.sql, outcomes_episodes.sql",
    ),
    (
        "outcomes",
        "episodes, instruments; derived at load: episode_treatment (each discharged episode's "
        "attended sessions that are not assessments), episode_scores (its first and last score "
        "per instrument), episode_score_dates (each episode's scored dates, for the cadence)",
        "outcomes_ended.sql, outcomes_detail.sql, outcomes_episodes.sql, outcomes.sql, "
        "outcomes_by_instrument.sql, outcomes_cadence.sql",
    ),
    (
        "noms",
        "episodes, noms (admission and discharge rows dated on or before as_of); derived at "
        "load: episode_noms (each discharged episode's admission and discharge rows pivoted, "
        "with their dates)",
        "noms_domains.sql, noms_ended.sql, noms_time_points_derived.sql, noms_detail.sql, noms.sql",
    ),
    (
        "follow_up",
        "episodes (every discharge whose window closed in the 12 months), noms (follow_up rows); "
        "derived at load: episode_follow_up (each discharged episode's windows with the "
        "category and items of its contacts)",
        "follow_up_windows.sql, follow_up_due_derived.sql, follow_up_answers_derived.sql, "
        "follow_up_detail.sql, follow_up.sql",
    ),
    (
        "12-month trends (report)",
        "episodes, sessions, clients, episode_next, episode_engagement, episode_treatment, "
        "episode_scores: one query per family",
        "series_*.sql over dosage_weeks, transitions_detail, retention_cohort, the outcome "
        "cohort and courses",
    ),
)

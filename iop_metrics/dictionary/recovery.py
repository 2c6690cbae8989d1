"""Dictionary entries of the recovery figures (spec recovery.md): the document's ``noms`` key
(admission to discharge) and ``follow_up`` key (1-12 months after discharge). Every key of both
is named here, with the source it follows; where the spec left a choice open, the entry says
which reading we took."""

from __future__ import annotations

from .entry import Entry

TEDS = "SAMHSA TEDS-D public-use codebook (2015 onward: the _D discharge twins)"
SUBG = (
    "SAMHSA Substance Use Block Grant TEDS-based NOMS tables (Tables 14-18): positive at "
    "admission (T1) and at discharge (T2), change in percentage points"
)

RECOVERY: tuple[Entry, ...] = (
    Entry(
        "noms.<domain>",
        "The five recovery domains",
        "Each a yes/no of one noms row: abstinent = use_frequency none (no use of the primary "
        "substance in the 30 days before); employed_or_student = employment full_time, "
        "part_time or student (not in the labour force as a student); housed = living "
        "dependent or independent (not homeless); no_arrests = arrests 0 in the 30 days "
        "before; self_help = any self-help attendance in the 30 days before (1_3, 4_7, 8_30 "
        "or some, frequency unknown). An empty item is unknown (TEDS -9), never no. Use "
        "levels: none < some (1_3_month, 1_2_week, 3_6_week) < daily, as TEDS's FREQ1.",
        standard=f"SAMHSA National Outcome Measures (NOMS) domains; {TEDS}: FREQ1 = 1, EMPLOY in "
        "1, 2 or DETNLF = 2, LIVARAG in 2, 3, ARRESTS = 0, FREQ_ATND_SELF_HELP in 2..5",
    ),
    Entry(
        "noms.ended",
        "Recovery cohort: ended episodes and their noms rows",
        "ended: in-scope episodes with discharge_date in P and on or before as_of, any reason "
        "(the outcome cohort's ended episodes). with_admission / with_discharge: ended episodes "
        "with an admission / a discharge row dated on or before as_of (a row dated later does "
        "not exist yet). The figures read an empty table when the program ships no noms.csv "
        "(counts 0, rates null).",
        standard="iop-metrics' own definition, as written here (no published standard fixes the "
        "cohort)",
    ),
    Entry(
        "noms.<domain>.paired_rate",
        "Paired on a domain (data completeness)",
        "An ended episode is paired on a domain when its admission row and its discharge row "
        "both know the domain. Every other figure of the domain is over its paired episodes, "
        "so that a change is not a change of who answered.",
        "paired",
        "ended",
        "episodes with either row missing, or the item empty on either",
        standard=f"{SUBG}, paired here",
    ),
    Entry(
        "noms.<domain>.change",
        "Positive at admission and at discharge, and the change",
        "Over the paired episodes: at_admission, at_discharge = positive at that time point; "
        "gained = positive at discharge and not at admission, lost = the reverse (at_discharge "
        "= at_admission + gained - lost); admission_rate = at_admission / paired, "
        "discharge_rate = at_discharge / paired, change = discharge_rate - admission_rate, a "
        "difference of proportions as a fraction (0.2 = 20 percentage points), never relative.",
        "at_admission / at_discharge",
        "paired",
        standard=SUBG,
    ),
    Entry(
        "noms.abstinent.reduced_rate",
        "Reduced or stopped use",
        "using_at_admission = paired - at_admission (paired on abstinence, some or daily use at "
        "admission); reduced = paired episodes whose use level at discharge is lower than at "
        "admission (stopping counts; daily to some counts, some to some does not, whatever "
        "the sub-level).",
        "reduced",
        "using_at_admission",
        standard=f"{TEDS}: FREQ1_D lower than FREQ1 on the 1/2/3 scale",
    ),
    Entry(
        "follow_up.<window>.due",
        "Follow-up windows and who is due",
        "Windows in days after discharge_date (day 0; both ends inclusive): 1m 15..59, 3m "
        "60..134, 6m 135..269, 12m 270..455. Due in window w for P: an in-scope episode with "
        "a discharge_date on or before as_of whose window closed (discharge_date + last day) "
        "in the twelve months ending P.end (P.end - 364 .. P.end, or P.start .. P.end when P "
        "is longer), except episodes that ended with reason died. Everyone else is due, "
        "whether or not anyone tried to reach them.",
        exclusions="discharges with reason died; windows still open at P.end",
        standard="CARF 1.M (outcomes at point(s) in time following services); contacts at "
        "1, 3, 6 and 12 months as Vista Recovery 20/20, Trac9 and the NAATP Outcomes Project",
    ),
    Entry(
        "follow_up.<window>.reached",
        "Contact categories",
        "A follow_up row belongs to the window its collected_on falls in (a discharge row is "
        "never a contact). Each due episode is exactly one of: reached (a reached contact in "
        "the window), else deceased (a deceased contact in the window or any time after "
        "discharge before it), else declined (a declined contact in the window or before it; "
        "a refusal carries over to later windows until someone is reached), else not_reached "
        "(a not_reached contact in the window), else not_attempted. The five sum to due. Our "
        "reading of 'until someone is reached': a refusal counts only when no reached contact "
        "is dated on or after the latest refusal (on the same day, the answer wins).",
        standard="iop-metrics' own definition, as written here (no published standard fixes the "
        "categories)",
    ),
    Entry(
        "follow_up.<window>.response_rate",
        "Response rate",
        "Share of the due episodes reached in the window. Always shown beside the abstinence "
        "figures: those who answer are rarely like those who do not.",
        "reached",
        "due",
        standard="GPRA target follow-up rate 80%; NAATP pilot 58% at 1 month, 35% at 3 months; "
        "Kentucky's statewide study 65.3% at 12 months",
    ),
    Entry(
        "follow_up.<window>.abstinent_rate_responders",
        "Abstinent after discharge: among those reached, and counting the rest as using",
        "Read from the earliest reached contact in the window. abstinent_known = reached "
        "episodes whose row knows use_frequency, abstinent = those with none. "
        "abstinent_rate_responders = abstinent / abstinent_known (complete case); "
        "abstinent_rate_all = abstinent / due (everyone not reached, deceased included, "
        "counted as not abstinent). Self-reported; no comparison group.",
        "abstinent",
        "abstinent_known (responders) / due (all)",
        standard="Vista Recovery 20/20 ('assume they're using'); complete case and worst case "
        "shown side by side with the response rate, as the follow-up literature asks",
    ),
    Entry(
        "follow_up.<window>.housed_known",
        "Other domains after discharge",
        "employed_or_student, housed, no_arrests as at discharge, read from the earliest "
        "reached contact in the window: <domain>_known = reached episodes whose row knows the "
        "domain (so known <= reached), <domain> = those positive. Self-help is not followed up.",
        "<domain>",
        "<domain>_known",
        standard="SAMHSA NOMS domains; Vista Recovery 20/20 follow-up domains",
    ),
)

"""The demo site's operations: a seeded 4P activity log, MoRiLE series and perception waves.

They tell the same story as the injected harm effects (:mod:`geosoc.synth.effects`): Clear is
enforcement-led (warrants, arrests, closures by the police), Hold mixes patrols, target
hardening and safeguarding with partners, and Build is led by partners (youth diversion,
community events, education). MoRiLE scores of the two fictional groups fall after Clear;
the second perception wave, after Hold, reports feeling safer and less drug dealing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geosoc.synth.scenario import MONTHS, PHASES

POLICE = "Demoford Constabulary (fictional)"
#: (phase, pillar, agency, activity type, outcome, how many) of the demo log.
PLAN = (
    ("clear", "pursue", POLICE, "warrant", "premises searched; drugs seized", 9),
    ("clear", "pursue", POLICE, "arrest", "suspects charged", 14),
    ("clear", "pursue", POLICE, "closure order", "premises closed for 3 months", 3),
    ("clear", "protect", "Demoford Council (fictional)", "safeguarding visit",
     "tenant supported after cuckooing", 6),
    ("hold", "pursue", POLICE, "patrol", "visible patrols in the evening", 12),
    ("hold", "protect", "Demoford Council (fictional)", "environmental fix",
     "alley gated and lighting repaired", 5),
    ("hold", "protect", "Demoford Homes (fictional)", "safeguarding visit",
     "vulnerable tenant supported", 7),
    ("hold", "prevent", "Demoford Youth Trust (fictional)", "youth diversion",
     "young people engaged in sport", 8),
    ("build", "prevent", "Demoford Youth Trust (fictional)", "youth diversion",
     "weekly sessions delivered", 14),
    ("build", "prepare", "Demoford Council (fictional)", "community event",
     "residents' meeting held", 6),
    ("build", "prevent", "Demoford Fire and Rescue (fictional)", "education session",
     "school session on exploitation", 5),
    ("build", "protect", POLICE, "patrol", "neighbourhood patrols", 6),
)
#: Perception waves: (wave, question, response, respondents).
WAVES = (
    ("W1 2023-11", "I feel safe walking alone after dark", "safe", 92),
    ("W1 2023-11", "I feel safe walking alone after dark", "unsafe", 181),
    ("W1 2023-11", "I feel safe walking alone after dark", "don't know", 27),
    ("W2 2024-10", "I feel safe walking alone after dark", "safe", 151),
    ("W2 2024-10", "I feel safe walking alone after dark", "unsafe", 127),
    ("W2 2024-10", "I feel safe walking alone after dark", "don't know", 32),
    ("W1 2023-11", "Drug dealing is a problem in my area", "big problem", 168),
    ("W1 2023-11", "Drug dealing is a problem in my area", "not a big problem", 117),
    ("W1 2023-11", "Drug dealing is a problem in my area", "don't know", 15),
    ("W2 2024-10", "Drug dealing is a problem in my area", "big problem", 119),
    ("W2 2024-10", "Drug dealing is a problem in my area", "not a big problem", 172),
    ("W2 2024-10", "Drug dealing is a problem in my area", "don't know", 19),
)


def _days_in(rng: np.random.Generator, phase: str, n: int) -> list[str]:
    first, last = PHASES[phase]
    if phase == "build":  # the demo log runs to the end of 2024 (the review's as-of month)
        last = min(last, first + 2)
    start = MONTHS[first].to_timestamp()
    end = MONTHS[last].to_timestamp(how="end")
    offsets = np.sort(rng.integers(0, (end - start).days + 1, n))
    return (start + pd.to_timedelta(offsets, unit="D")).strftime("%Y-%m-%d").tolist()


def activity_log(rng: np.random.Generator) -> pd.DataFrame:
    """Return the demo site's activity log (strings, as a partner's CSV would hold)."""
    rows = []
    for phase, pillar, agency, kind, outcome, n in PLAN:
        for day in _days_in(rng, phase, n):
            rows.append({"date": day, "pillar": pillar, "agency": agency,
                         "activity_type": kind, "outcome": outcome, "zone": "site",
                         "notes": "fictional demo record"})
    frame = pd.DataFrame(rows).sort_values(["date", "agency"], kind="stable")
    frame.insert(0, "activity_id", [f"DEMO-ACT-{i:03d}" for i in range(1, len(frame) + 1)])
    return frame.reset_index(drop=True)


def morile_series(rng: np.random.Generator) -> pd.DataFrame:
    """Quarterly MoRiLE scores of two fictional groups, falling after Clear."""
    quarters = pd.period_range("2023-03", "2024-12", freq="M")[::3]
    level = np.where(quarters < pd.Period("2024-01", "M"), 1.0,
                     np.where(quarters < pd.Period("2024-07", "M"), 0.65, 0.4))
    rows = []
    for ref, base in (("OCG-DEMO-1", 620.0), ("OCG-DEMO-2", 410.0)):
        noise = rng.normal(1.0, 0.04, len(quarters))
        rows += [{"date": f"{q}-15", "score": f"{base * lv * e:.0f}", "ocg_ref": ref}
                 for q, lv, e in zip(quarters, level, noise, strict=True)]
    return pd.DataFrame(rows)


def perception_waves() -> pd.DataFrame:
    """Two survey waves (baseline and after Hold) as aggregates."""
    return pd.DataFrame(WAVES, columns=["wave", "question", "response", "respondents"])

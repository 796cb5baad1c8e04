"""``geosoc phases set``: read phase dates from the command line and store them.

One of each phase (``--clear``, ``--hold``, ``--build``, optional ``--baseline``) or a
cyclical plan (``--cycle clear:2024-01:2024-03,hold:2024-04:2024-09,clear:...``).
"""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

from geosoc.cli import month_arg
from geosoc.errors import ConfigError, Problem
from geosoc.phases.plan import PhasePlan


def _span(text: str, phase: str) -> tuple[str, str | None]:
    start, sep, end = text.partition(":")
    if not sep or not start:
        raise ConfigError(f"invalid --{phase}", [Problem(
            f"{text!r} is not FROM:TO", column=f"--{phase}",
            fix="write e.g. 2024-06:2024-08, or 2025-03: for a phase still running")])
    for month in (start, end) if end else (start,):
        try:
            month_arg(month)
        except argparse.ArgumentTypeError as err:
            raise ConfigError(f"invalid --{phase}", [Problem(
                f"{month!r} in {text!r} is not a month", column=f"--{phase}",
                fix="write months as YYYY-MM with a month from 01 to 12, e.g. 2024-06:2024-08",
            )]) from err
    return start, end or None


def run_set(args: argparse.Namespace) -> int:
    """Validate and store the phase dates of a workspace site; print them; return 0."""
    from geosoc.cli.assets_cmd import acting_user
    from geosoc.workspace import Workspace

    spans = _cycle(args) if args.cycle else _spans(args)
    with Workspace.open(args.workspace, create=False) as ws:
        user, role = acting_user(ws, args.user)
        plan = ws.sites.set_phases(args.site, spans, user=user, role=role)
    rows = [{"phase": p, "start": str(s), "end": None if pd.isna(e) else str(e)}
            for p, s, e in zip(plan["phase"], plan["start_month"], plan["end_month"],
                               strict=True)]
    if args.json:
        print(json.dumps({"site": args.site, "phases": rows}, indent=2))
    else:
        for row in rows:
            print(f"{row['phase']:<9} {row['start']} to {row['end'] or '(running)'}")
    return 0


def _spans(args: argparse.Namespace) -> dict[str, tuple[str, str | None]]:
    """One of each phase from ``--baseline/--clear/--hold/--build`` (baseline defaulted)."""
    spans = {p: _span(getattr(args, p), p) for p in ("baseline", "clear", "hold", "build")
             if getattr(args, p)}
    if "clear" not in spans:
        raise ConfigError("no Clear phase given", [Problem(
            "neither --clear nor --cycle was given", column="--clear",
            fix="pass --clear FROM:TO (and --hold, --build), or --cycle for a cyclical plan")])
    if "baseline" not in spans:
        clear_start = pd.Period(spans["clear"][0], freq="M")
        spans["baseline"] = (str(clear_start - 12), str(clear_start - 1))
    return spans


def _cycle(args: argparse.Namespace) -> list[tuple[str, str, str | None]]:
    """Chronological ``(phase, from, to)`` steps from ``--cycle phase:FROM:TO,...``."""
    steps = []
    for part in (p.strip() for p in args.cycle.split(",") if p.strip()):
        phase, sep, span = part.partition(":")
        if not sep or phase not in ("baseline", "clear", "hold", "build"):
            raise ConfigError("invalid --cycle", [Problem(
                f"{part!r} is not PHASE:FROM:TO", column="--cycle",
                fix="e.g. --cycle clear:2024-01:2024-03,hold:2024-04:2024-09,clear:2024-10:")])
        steps.append((phase, *_span(span, phase)))
    return steps


def plan_within_data(phases: pd.DataFrame, months: pd.Series) -> PhasePlan:
    """Make a PhasePlan (cycles allowed) from stored phase rows, trimmed to the data's months.

    An open last phase ends with the data; phases running past the data are trimmed with a
    note on stderr (per-month rates would otherwise count missing months as no crime).
    """
    first, last = months.min(), months.max()
    rows = list(zip(phases["phase"], phases["start_month"], phases["end_month"], strict=True))
    # a phase still running (no end) that starts after the data is not yet in the data: it
    # is left out with a note, not closed at the data's end before it starts
    later = [(p, s) for p, s, e in rows if pd.isna(e) and s > last]
    notes = [f"{p} starts {s}, after the data end ({last}): left out until its months are "
             "loaded" for p, s in later]
    steps = [(p, s, last if pd.isna(e) else e) for p, s, e in rows
             if not (pd.isna(e) and s > last)]
    plan, trimmed = PhasePlan.from_sequence(steps).within(first, last)
    notes += trimmed
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    return plan

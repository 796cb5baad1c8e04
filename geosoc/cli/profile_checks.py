"""Checks of ``geosoc profile``: one source of data, paths that exist, never a profile of 0.

:func:`check_sources` runs before the analysis modules load, so a refused command answers at
once; :func:`nothing_kept` is the error for a profile that kept no incident.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from geosoc.errors import AnalysisError, ConfigError, Problem

if TYPE_CHECKING:
    from geosoc.ingest.accounting import RowAccount

#: What to pass when no data is given (named flags).
NO_DATA_FIX = ("pass police.uk files or folders (geosoc profile 2024-01/ --areas "
               "ward=wards.gpkg --out DIR), --workspace W (datasets stored with geosoc "
               "ingest), or --demo for the fictional demo town")

#: The fix for the main reason every row was dropped.
FIXES = {
    "no location": "the rows have no coordinates: check that --lon/--lat name the coordinate "
                   "columns",
    "outside the UK": "the coordinates are not in the UK: check the coordinate columns",
    "outside the boundary cover": "the --areas boundaries do not cover the data: use the "
                                  "boundaries of the data's area",
    "outside the month range": "widen --from/--to to months the data holds",
    "not in the chosen categories": "choose categories the data holds",
    "not in the chosen sources": "choose sources the data holds",
}


def nothing_kept(account: RowAccount) -> AnalysisError:
    """Return the error for a profile that keeps no incident, naming why (exit code 2).

    A profile of 0 incidents would print "50% of harm is in 0.0% of cells": never write one.
    """
    reasons = {reason: n for (_, reason), n in account.dropped.items()}
    top = max(reasons, key=reasons.__getitem__) if reasons else ""
    return AnalysisError(
        f"no incidents kept of {account.rows_read:,} rows read: nothing to profile",
        [Problem(account.sentence(), fix=FIXES.get(
            top, "check the input and the filters: every row was dropped"))])


def check_sources(args: argparse.Namespace) -> None:
    """Refuse no source or several sources of data, and missing INPUT paths (no pandas)."""
    from geosoc.ingest.sniff import precheck

    given = [flag for flag, on in (("INPUT files", bool(args.inputs)),
                                   ("--workspace", args.workspace is not None),
                                   ("--demo", args.demo)) if on]
    if len(given) > 1:
        raise ConfigError("give one source of data", [Problem(
            f"{' and '.join(given)} were given together", column="--workspace",
            fix="give INPUT files, or --workspace W, or --demo")])
    if not given:
        raise ConfigError("no data given: geosoc does not fall back to the demo town",
                          [Problem("no INPUT files, no --workspace and no --demo",
                                   column="INPUT", fix=NO_DATA_FIX)])
    for path in args.inputs:
        precheck(path)

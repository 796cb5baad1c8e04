"""Checks of ``geosoc profile`` before anything is written: a profile of nothing is an error."""

from __future__ import annotations

from typing import TYPE_CHECKING

from geosoc.errors import AnalysisError, Problem

if TYPE_CHECKING:
    from geosoc.ingest.accounting import RowAccount

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

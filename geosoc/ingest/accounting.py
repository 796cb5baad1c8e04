"""Where every row of a run went: read, kept, and dropped by reason.

A :class:`RowAccount` follows the rows of one command from the files (or the workspace)
through every filter to the tables written, so that nothing is lost silently: the CLI prints
it, writes it into ``summary.json`` and ``drops.csv`` beside the outputs, warns loudly on
stderr when more than :data:`WARN_SHARE` of the rows were dropped, and with ``--strict``
refuses to finish (:meth:`RowAccount.enforce`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geosoc.errors import AnalysisError, Problem
from geosoc.ingest.report import IngestReport

#: Share of rows dropped above which a run warns (and ``--strict`` fails).
WARN_SHARE = 0.05

#: Plain-English reasons used across commands.
NO_LOCATION = "no location"
OUTSIDE_COVER = "outside the boundary cover"
OUTSIDE_MONTHS = "outside the month range"
UNKNOWN_CATEGORY = "unknown category"
#: Reasons that are the user's own choice (a period, categories, sources): reported, but not
#: counted as loss in :meth:`RowAccount.warning`.
CHOSEN = frozenset({OUTSIDE_MONTHS, "not in the chosen categories", "not in the chosen sources"})


@dataclass
class RowAccount:
    """Rows read, kept and dropped (by stage and reason) in one run.

    Attributes
    ----------
    rows_read : int
        Rows found in the inputs (data rows of the files, or rows stored in the workspace).
    dropped : dict of (str, str) to int
        ``(stage, reason)`` -> rows dropped, in the order they were dropped.
    notes : list of str
        Where the rows came from and anything else worth saying.
    """

    rows_read: int = 0
    dropped: dict[tuple[str, str], int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add_report(self, report: IngestReport) -> None:
        """Add one file's ingest: its rows read and its drops (stage ``"ingest"``)."""
        self.rows_read += int(report.rows_read)
        for reason, n in report.dropped.items():
            self.drop("ingest", reason, n)

    def drop(self, stage: str, reason: str, count: int) -> None:
        """Record ``count`` rows dropped at ``stage`` for ``reason`` (zeros are ignored)."""
        if count:
            key = (stage, reason)
            self.dropped[key] = self.dropped.get(key, 0) + int(count)

    @property
    def total_dropped(self) -> int:
        """Rows dropped for any reason."""
        return sum(self.dropped.values())

    @property
    def kept(self) -> int:
        """Rows that reached the results."""
        return self.rows_read - self.total_dropped

    @property
    def share_dropped(self) -> float:
        """Dropped rows as a share of rows read (0 when nothing was read)."""
        return self.total_dropped / self.rows_read if self.rows_read else 0.0

    def sentence(self) -> str:
        """One line: ``"rows read 1,000; kept 450; dropped 550 (55.0%): 500 outside ..."``."""
        text = (f"rows read {self.rows_read:,}; kept {self.kept:,}; dropped "
                f"{self.total_dropped:,} ({self.share_dropped:.1%})")
        if self.dropped:
            text += ": " + ", ".join(f"{n:,} {reason}" for (_, reason), n in
                                     self.dropped.items())
        return text

    @property
    def share_lost(self) -> float:
        """Share of rows lost: dropped for other reasons than the user's own filters.

        The base is the rows that passed those filters (:data:`CHOSEN`).
        """
        chosen = sum(n for (_, r), n in self.dropped.items() if r in CHOSEN)
        base = self.rows_read - chosen
        return (self.total_dropped - chosen) / base if base > 0 else 0.0

    def warning(self, threshold: float = WARN_SHARE) -> str | None:
        """Return a loud warning when more than ``threshold`` of the rows were lost."""
        if self.share_lost <= threshold:
            return None
        lost = {k: n for k, n in self.dropped.items() if k[1] not in CHOSEN}
        (_, reason), n = max(lost.items(), key=lambda item: item[1])
        return (f"WARNING: {self.share_lost:.1%} of the rows were dropped (more than "
                f"{threshold:.0%}); most ({n:,}) {reason}. The results describe only the "
                f"{self.kept:,} rows kept. " + _ADVICE.get(reason, ""))

    def enforce(self, strict: bool, threshold: float = WARN_SHARE) -> None:
        """Raise :class:`AnalysisError` when ``strict`` and too many rows were dropped."""
        text = self.warning(threshold)
        if strict and text is not None:
            raise AnalysisError("too many rows dropped (--strict)", [Problem(
                text.removeprefix("WARNING: "), column="--strict",
                fix="fix the inputs (see the reasons), raise --max-drop, or run without "
                "--strict to accept the loss")])

    def to_dict(self) -> dict[str, object]:
        """Return the account as a JSON-ready dict."""
        return {"rows_read": self.rows_read, "rows_kept": self.kept,
                "rows_dropped": self.total_dropped,
                "share_dropped": round(self.share_dropped, 6),
                "share_lost": round(self.share_lost, 6),
                "dropped": [{"stage": s, "reason": r, "rows": n}
                            for (s, r), n in self.dropped.items()],
                "notes": list(self.notes)}

    def frame(self) -> pd.DataFrame:
        """Return the account as a table: read, each drop, kept (``stage, reason, rows``)."""
        rows = [("input", "rows read", self.rows_read)]
        rows += [(s, r, -n) for (s, r), n in self.dropped.items()]
        rows.append(("result", "rows kept", self.kept))
        return pd.DataFrame(rows, columns=["stage", "reason", "rows"])

    def write_csv(self, path: str | Path) -> Path:
        """Write :meth:`frame` to ``path`` (``drops.csv``) and return the path."""
        path = Path(path)
        self.frame().to_csv(path, index=False)
        return path


_ADVICE = {
    OUTSIDE_COVER: "Give boundaries that cover the whole force area (e.g. every ward of "
                   "each local authority), or cut the incidents to the study area first.",
    NO_LOCATION: "Rows without coordinates cannot be mapped; police.uk publishes some.",
    OUTSIDE_MONTHS: "Check --from/--to.",
    "outside the UK": "Check the coordinate columns and their CRS.",
}


def add_stored_reports(account: RowAccount, reports: list[dict[str, object]],
                       rows_stored: int) -> None:
    """Start ``account`` from the ingest reports kept with stored datasets.

    Parameters
    ----------
    account : RowAccount
        The run's account (its ``rows_read`` is set here).
    reports : list of dict
        :meth:`IngestReport.to_dict` of each stored incident dataset (from the workspace's
        dataset metadata), possibly empty.
    rows_stored : int
        Rows actually loaded from the workspace.

    Notes
    -----
    When the reports account for exactly the rows stored, the rows read and dropped at ingest
    are carried into this run (so a workspace run reports the same losses as a file run);
    otherwise the stored rows are the rows read, and a note says so.
    """
    read = sum(int(r.get("rows_read", 0)) for r in reports)
    kept = sum(int(r.get("rows_kept", 0)) for r in reports)
    if reports and kept == rows_stored:
        account.rows_read += read
        for report in reports:
            for reason, n in dict(report.get("dropped", {})).items():
                account.drop("ingest", str(reason), int(n))
        account.notes.append(f"{rows_stored:,} incidents stored in the workspace, from "
                             f"{read:,} rows read at ingest")
    else:
        account.rows_read += rows_stored
        account.notes.append(f"{rows_stored:,} incidents stored in the workspace (their "
                             "ingest drops were reported when they were stored)")

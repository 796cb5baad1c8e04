"""What a reader did to a file: :class:`IngestReport` and the :class:`Ingested` pair."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple


@dataclass
class IngestReport:
    """A record of one ingest: rows read, kept, dropped (with reasons) and notes.

    Parameters
    ----------
    source : str
        The file or folder read (as given by the caller).
    kind : str
        What was read: ``"policeuk"``, ``"points"``, ``"counts"``, ``"boundaries"``,
        ``"postcodes"`` or ``"imd"``.
    rows_read : int
        Data rows (or features) found in the input, header excluded.
    rows_kept : int
        Rows in the returned frame.
    dropped : dict of str to int
        Rows left out, by reason (``"no location"``, ``"outside the UK"``...).
    notes : list of str
        Anything else worth telling the user (encoding fallbacks, repairs, far-away points).
    counted : dict of str to int
        Rows kept but worth counting, by reason (``"Crime ID also listed in another
        month"``...): they are in ``rows_kept``, not dropped.
    """

    source: str
    kind: str
    rows_read: int = 0
    rows_kept: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    counted: dict[str, int] = field(default_factory=dict)

    def count(self, reason: str, rows: int) -> None:
        """Tally ``rows`` kept rows under ``reason`` (zero counts are not recorded)."""
        if rows:
            self.counted[reason] = self.counted.get(reason, 0) + int(rows)

    def drop(self, reason: str, count: int) -> None:
        """Add ``count`` rows to the ``reason`` tally (zero counts are not recorded)."""
        if count:
            self.dropped[reason] = self.dropped.get(reason, 0) + int(count)

    def note(self, text: str) -> None:
        """Append a note for the user."""
        self.notes.append(text)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as a JSON-ready dict."""
        return asdict(self)

    def summary(self) -> str:
        """Return a short human-readable account of the ingest."""
        lines = [
            f"{self.kind} from {self.source}: {self.rows_read:,} rows read, "
            f"{self.rows_kept:,} kept"
        ]
        lines += [f"  dropped {n:,}: {reason}" for reason, n in self.dropped.items()]
        lines += [f"  kept and counted {n:,}: {reason}" for reason, n in self.counted.items()]
        lines += [f"  note: {text}" for text in self.notes]
        return "\n".join(lines)


class Ingested(NamedTuple):
    """A reader's result: the frame (following its data contract) and the report."""

    data: Any
    report: IngestReport

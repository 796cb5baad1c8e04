"""Exceptions raised by geosoc.

Every error a user can cause derives from :class:`GeosocError` and carries a list of
:class:`Problem` records, each naming the file, row and column at fault and how to fix it.
Readers collect *all* problems before raising, so one run shows everything to mend.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input.

    Parameters
    ----------
    message : str
        What is wrong, in plain words.
    file : str or None
        The file (or upload name) the problem is in.
    row : int or None
        1-based line number in the file as a person counts it (the header is row 1),
        or ``None`` when the problem is not tied to one row.
    column : str or None
        The column name at fault.
    fix : str or None
        How to fix it.
    """

    message: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    fix: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        text = (", ".join(where) + ": " if where else "") + self.message
        if self.fix:
            text += f" Fix: {self.fix}"
        return text

    def to_dict(self) -> dict[str, object]:
        """Return the problem as a JSON-ready dict."""
        return asdict(self)


class GeosocError(Exception):
    """Base class of every error geosoc raises on purpose.

    Parameters
    ----------
    message : str
        A one-line summary.
    problems : list of Problem, optional
        Every individual problem found (collected, not just the first).
    """

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        self.summary = message
        self.problems = list(problems or [])
        super().__init__(self._render())

    def _render(self) -> str:
        if not self.problems:
            return self.summary
        shown = self.problems[:20]
        lines = [self.summary] + [f"  - {p}" for p in shown]
        if len(self.problems) > len(shown):
            lines.append(f"  ... and {len(self.problems) - len(shown)} more problems")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        """Return the error as a JSON-ready dict (type, summary, problems)."""
        return {
            "error": type(self).__name__,
            "summary": self.summary,
            "problems": [p.to_dict() for p in self.problems],
        }


class SchemaError(GeosocError):
    """Input is missing columns or holds values of the wrong type or range."""


class CRSError(GeosocError):
    """A frame has no CRS, mixed CRSs, or coordinates that do not fit the stated CRS."""


class InputFileError(GeosocError):
    """A file cannot be read safely: empty, wrong encoding, unsafe archive, disallowed driver."""


class GeocodeError(GeosocError):
    """Postcodes could not be matched to a centroid."""


class ConfigError(GeosocError):
    """A configuration file or value is invalid."""


class WorkspaceError(GeosocError):
    """The workspace database cannot be opened, migrated or written."""


class ConflictError(WorkspaceError):
    """An edit was based on a stale version of a record (optimistic concurrency)."""


class AccessDeniedError(GeosocError):
    """The current role may not see or do this."""


class AuthenticationError(GeosocError):
    """Sign-in failed or the account is locked."""


class AnalysisError(GeosocError):
    """An analysis cannot be computed meaningfully from the given inputs."""

"""Dated Clear, Hold, Build phases of a site: :class:`Phase` and :class:`PhasePlan`.

Phases are whole months, start and end inclusive, and run baseline -> clear -> hold -> build
without overlapping (gaps are allowed). The baseline defaults to the 12 months before Clear.
A plan may cycle (the guidance: "options to resume Clear should be considered"): Clear may
resume after Hold or Build. Repeated phases are named by occurrence (``clear 2``,
``hold 2``) and every analysis compares each of them with the baseline like any phase.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from geosoc.errors import AnalysisError, Problem

#: Phase names in the order they must run.
PHASE_ORDER = ("baseline", "clear", "hold", "build")


@dataclass(frozen=True)
class Phase:
    """One dated phase: whole months ``start`` to ``end`` inclusive."""

    name: str
    start: pd.Period
    end: pd.Period

    @property
    def months(self) -> int:
        """Number of months in the phase (inclusive)."""
        return self.end.ordinal - self.start.ordinal + 1


def _period(value: object, name: str, problems: list[Problem]) -> pd.Period | None:
    try:
        return pd.Period(value, freq="M")  # type: ignore[arg-type]
    except (ValueError, TypeError):
        problems.append(Problem(f"{name} date {value!r} is not a month", column=name,
                                fix="write it as YYYY-MM"))
        return None


@dataclass(frozen=True)
class PhasePlan:
    """The dated phases of one site: baseline, then Clear, Hold and Build.

    Build from strings with :meth:`from_dates`. Hold and Build may be ``None`` while they have
    not started. Phases must run in order and must not overlap (gaps are allowed). The
    baseline defaults to the 12 months before Clear.
    """

    clear: Phase
    hold: Phase | None = None
    build: Phase | None = None
    baseline: Phase | None = field(default=None)
    #: Phases after a resumed Clear, in time order (``clear 2``, ``hold 2``, ``build 2``...).
    repeats: tuple[Phase, ...] = ()

    def __post_init__(self) -> None:
        if self.baseline is None:
            start = self.clear.start - 12
            object.__setattr__(self, "baseline", Phase("baseline", start, self.clear.start - 1))
        problems = []
        for phase in self.phases:
            if phase.end < phase.start:
                problems.append(Problem(f"{phase.name} ends ({phase.end}) before it starts "
                                        f"({phase.start})", column=phase.name,
                                        fix="swap the start and end months"))
        for before, after in zip(self.phases, self.phases[1:], strict=False):
            if after.start <= before.end:
                problems.append(Problem(
                    f"{after.name} starts {after.start} before {before.name} ends {before.end}",
                    column=after.name,
                    fix=f"start {after.name} after {before.end}: phases run "
                        "baseline, clear, hold, build without overlap"))
        if problems:
            raise AnalysisError("the phase plan is not valid", problems)

    @classmethod
    def from_dates(
        cls,
        *,
        clear: tuple[object, object],
        hold: tuple[object, object] | None = None,
        build: tuple[object, object] | None = None,
        baseline: tuple[object, object] | None = None,
    ) -> PhasePlan:
        """Make a plan from ``(start, end)`` month pairs such as ``("2024-01", "2024-03")``.

        All unparseable months are reported together in one :class:`AnalysisError`.
        """
        problems: list[Problem] = []
        made: dict[str, Phase | None] = {}
        given = {"baseline": baseline, "clear": clear, "hold": hold, "build": build}
        for name in PHASE_ORDER:
            dates = given[name]
            if dates is None:
                made[name] = None
                continue
            start = _period(dates[0], name, problems)
            end = _period(dates[1], name, problems)
            made[name] = Phase(name, start, end) if start and end else None
        if problems:
            raise AnalysisError("the phase plan has dates that are not months", problems)
        return cls(clear=made["clear"], hold=made["hold"], build=made["build"],  # type: ignore[arg-type]
                   baseline=made["baseline"])

    @classmethod
    def from_sequence(cls, steps: list[tuple[str, object, object]]) -> PhasePlan:
        """Make a plan, which may cycle, from chronological ``(phase, start, end)`` steps.

        E.g. ``[("clear", "2024-01", "2024-03"), ("hold", "2024-04", "2024-09"),
        ("clear", "2024-10", "2024-11"), ("hold", "2024-12", "2025-06")]``: the second Clear
        and Hold become ``clear 2`` and ``hold 2``. A ``baseline`` step, if any, comes first.
        """
        problems: list[Problem] = []
        seen: dict[str, int] = {}
        first: dict[str, Phase] = {}
        repeats: list[Phase] = []
        for name, start_text, end_text in steps:
            start = _period(start_text, name, problems)
            end = _period(end_text, name, problems)
            if start is None or end is None:
                continue
            seen[name] = seen.get(name, 0) + 1
            if seen[name] == 1:
                first[name] = Phase(name, start, end)
            else:
                repeats.append(Phase(f"{name} {seen[name]}", start, end))
        if problems:
            raise AnalysisError("the phase plan has dates that are not months", problems)
        if "clear" not in first:
            raise AnalysisError("the phase plan has no Clear phase", [Problem(
                "no clear step", column="clear", fix="a plan starts with Clear")])
        return cls(clear=first["clear"], hold=first.get("hold"), build=first.get("build"),
                   baseline=first.get("baseline"), repeats=tuple(repeats))

    @property
    def phases(self) -> tuple[Phase, ...]:
        """The phases that are set, in time order (baseline first; repeats where they fall)."""
        named = tuple(p for p in (self.baseline, self.clear, self.hold, self.build)
                      if p is not None)
        if not self.repeats:  # the canonical order, which validation checks
            return named
        return tuple(sorted((*named, *self.repeats), key=lambda p: p.start))

    @property
    def span(self) -> pd.PeriodIndex:
        """Every month from the baseline start to the last phase end."""
        return pd.period_range(self.phases[0].start, self.phases[-1].end, freq="M")

    def label(self, months: pd.Series) -> pd.Series:
        """Return the phase name of each month (missing outside every phase), same index."""
        out = pd.Series(pd.NA, index=months.index, dtype="string")
        for phase in self.phases:
            out[(months >= phase.start) & (months <= phase.end)] = phase.name
        return out

    def within(self, first: object, last: object) -> tuple[PhasePlan, list[str]]:
        """Trim the phases to the months the data covers, ``first`` to ``last`` inclusive.

        Rates are per month of a phase, so a phase that runs past the data would count
        months with no data as months with no crime. Parts outside the data are cut off,
        with a note for each; a phase left with no month is dropped (Hold, Build).

        Parameters
        ----------
        first, last : str or pandas.Period
            First and last month of the data.

        Returns
        -------
        tuple of (PhasePlan, list of str)
            The trimmed plan and one plain-English note per trimmed phase.

        Raises
        ------
        AnalysisError
            If the baseline or Clear phase has no month of data.
        """
        lo, hi = pd.Period(first, freq="M"), pd.Period(last, freq="M")
        kept: dict[str, Phase | None] = {}
        notes: list[str] = []
        problems: list[Problem] = []
        for phase in self.phases:
            start, end = max(phase.start, lo), min(phase.end, hi)
            if end < start:
                kept[phase.name] = None
                if phase.name in ("baseline", "clear"):
                    problems.append(Problem(
                        f"{phase.name} ({phase.start} to {phase.end}) has no data: the data "
                        f"runs {lo} to {hi}", column=phase.name,
                        fix="load data that covers it, or move the phase dates"))
                else:
                    notes.append(f"{phase.name} starts after the data ends ({hi}): left out")
                continue
            if (start, end) != (phase.start, phase.end):
                notes.append(f"{phase.name} trimmed to {start} to {end}: the data runs "
                             f"{lo} to {hi}")
            kept[phase.name] = Phase(phase.name, start, end)
        if problems:
            raise AnalysisError("the phases lie outside the data", problems)
        repeats = tuple(kept[p.name] for p in self.repeats if kept.get(p.name) is not None)
        plan = PhasePlan(clear=kept["clear"], hold=kept.get("hold"),  # type: ignore[arg-type]
                         build=kept.get("build"), baseline=kept["baseline"],
                         repeats=repeats)  # type: ignore[arg-type]
        return plan, notes

    def to_dict(self) -> dict[str, list[str]]:
        """Return ``{phase: [start, end]}`` with months as ``YYYY-MM`` strings."""
        return {p.name: [str(p.start), str(p.end)] for p in self.phases}


def open_ended_steps(rows: list[tuple[str, str, str]], last_month: object
                     ) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str | None]],
                                str | None]:
    """Read phase rows whose last one may have no end month (a phase still running).

    Parameters
    ----------
    rows : list of (phase, first month, last month)
        In time order, months as ``YYYY-MM``; an empty first month drops the row, an empty
        last month is allowed on the last row only (it is still running).
    last_month : str or pandas.Period
        The last month of data: a running phase is analysed up to it.

    Returns
    -------
    tuple
        ``(steps, stored, ongoing)``: steps for :meth:`PhasePlan.from_sequence` (the running
        phase ending at ``last_month``), the same steps as stored (its end ``None``), and the
        plan name of the running phase (``"build"``, ``"hold 2"``) or ``None``.
    """
    kept = [(str(p).split(" ")[0], str(s).strip(), str(e or "").strip())
            for p, s, e in rows if str(s or "").strip()]
    steps: list[tuple[str, str, str]] = []
    stored: list[tuple[str, str, str | None]] = []
    ongoing = None
    for i, (phase, start, end) in enumerate(kept):
        if not end and i < len(kept) - 1:
            continue  # only the last phase may still be running
        if not end:
            occurrence = [p for p, _, _ in kept].count(phase)
            ongoing = phase if occurrence == 1 else f"{phase} {occurrence}"
        steps.append((phase, start, end or str(pd.Period(last_month, freq="M"))))
        stored.append((phase, start, end or None))
    return steps, stored, ongoing

"""Roles and the disclosure rules each role gets (see :mod:`geosoc.disclosure`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

import pandas as pd

from geosoc.errors import AccessDeniedError, Problem


class Role(StrEnum):
    """Who is looking: decides what may be disclosed."""

    ANALYST = "analyst"
    PARTNER = "partner"
    PUBLIC = "public"


@dataclass(frozen=True)
class DisclosureRules:
    """What a role may see.

    Parameters
    ----------
    role : Role
        The role these rules are for.
    point_data : bool
        Whether point-level incidents (coordinates, IDs) may be disclosed.
    min_count : int
        Counts ``1 .. min_count - 1`` are suppressed; 0 disables suppression.
    rounding_base : int
        Disclosed counts are rounded to a multiple of this (1 = no rounding).
    finest_h3_resolution : int
        The finest H3 resolution that may be shown; finer cells are merged to parents.
    area_kinds : tuple of str
        Area kinds that may be shown.
    time_grain : {"M", "Q"}
        Finest time period that may be shown (month or quarter).
    perturb : bool
        Whether counts and harm get cell key noise (:mod:`geosoc.disclosure.cell_key`).
    """

    role: Role
    point_data: bool
    min_count: int
    rounding_base: int
    finest_h3_resolution: int
    area_kinds: tuple[str, ...]
    time_grain: str
    perturb: bool = False


ALL_AREA_KINDS = ("ward", "lsoa", "lad", "postcode_sector", "postcode_district", "site", "custom")

DEFAULT_RULES: dict[Role, DisclosureRules] = {
    Role.ANALYST: DisclosureRules(Role.ANALYST, True, 0, 1, 15, ALL_AREA_KINDS, "M"),
    Role.PARTNER: DisclosureRules(Role.PARTNER, False, 5, 1, 8, ALL_AREA_KINDS, "M", True),
    Role.PUBLIC: DisclosureRules(Role.PUBLIC, False, 10, 5, 7, ("ward", "lad", "site"), "Q",
                                 True),
}

#: Marking carried by outputs for each role (Government Security Classifications).
PROTECTIVE_MARKING: dict[Role, str] = {
    Role.ANALYST: "OFFICIAL-SENSITIVE",
    Role.PARTNER: "OFFICIAL-SENSITIVE",
    Role.PUBLIC: "OFFICIAL",
}


def as_role(value: Role | str) -> Role:
    """Return ``value`` as a :class:`Role`.

    Parameters
    ----------
    value : Role or str
        A role or its name, any case (``"Analyst"``, ``"partner"``...).

    Returns
    -------
    Role
        The role.

    Raises
    ------
    AccessDeniedError
        When ``value`` names no role.
    """
    try:
        return Role(str(value).lower())
    except ValueError:
        raise AccessDeniedError(
            f"unknown role {value!r}",
            [Problem(f"role {value!r} is not one of analyst, partner, public",
                     fix="sign in with an analyst, partner or public account")],
        ) from None


def rules_for(role: Role | str, *, min_count: int | None = None) -> DisclosureRules:
    """Return the disclosure rules for ``role``, optionally with a stricter ``min_count``.

    Parameters
    ----------
    role : Role or str
        The role.
    min_count : int, optional
        Override of the suppression threshold. It may only make the rules stricter for
        partner and public roles.

    Returns
    -------
    DisclosureRules
        The role's rules, with ``min_count`` replaced when given.

    Raises
    ------
    AccessDeniedError
        When the role is unknown, or ``min_count`` would loosen a partner or public rule.
    """
    rules = DEFAULT_RULES[as_role(role)]
    if min_count is not None:
        if rules.role is not Role.ANALYST and min_count < rules.min_count:
            raise AccessDeniedError(
                "suppression threshold cannot be lowered",
                [Problem(f"min_count {min_count} is below the {rules.role} minimum "
                         f"{rules.min_count}", fix=f"use {rules.min_count} or more")],
            )
        rules = replace(rules, min_count=min_count)
    return rules


def require_point_access(role: Role | str, what: str = "point-level incident data") -> None:
    """Refuse point-level data to every role but the analyst.

    Parameters
    ----------
    role : Role or str
        Who is asking.
    what : str
        What was asked for, for the message.

    Raises
    ------
    AccessDeniedError
        When ``role`` may not see point-level data.
    """
    rules = rules_for(role)
    if not rules.point_data:
        raise AccessDeniedError(
            f"the {rules.role} role may not see {what}",
            [Problem(f"{what} is restricted to analysts",
                     fix="use the aggregated views (H3 cells or areas) instead")],
        )


def allowed_resolution(role: Role | str, resolution: int) -> int:
    """Return the finest H3 resolution ``role`` may see, no finer than ``resolution``.

    Parameters
    ----------
    role : Role or str
        Who will see the cells.
    resolution : int
        Resolution asked for (0-15).

    Returns
    -------
    int
        ``min(resolution, finest allowed)``: 15 for analysts, 8 for partners, 7 for public.
    """
    return min(int(resolution), rules_for(role).finest_h3_resolution)


def require_area_kind(role: Role | str, kind: str) -> None:
    """Refuse area kinds too small for ``role`` (the public may not see LSOAs).

    Parameters
    ----------
    role : Role or str
        Who will see the areas.
    kind : str
        Area kind (``"ward"``, ``"lsoa"``, ``"postcode_sector"``...).

    Raises
    ------
    AccessDeniedError
        When ``role`` may not see areas of ``kind``.
    """
    rules = rules_for(role)
    if kind not in rules.area_kinds:
        raise AccessDeniedError(
            f"the {rules.role} role may not see {kind} areas",
            [Problem(f"{kind} areas are too small for the {rules.role} view",
                     fix=f"use one of: {', '.join(rules.area_kinds)}")],
        )


def require_time_grain(role: Role | str, months: tuple[str, str] | None) -> None:
    """Refuse a month range finer than ``role``'s time grain (the public sees whole quarters).

    Parameters
    ----------
    role : Role or str
        Who will see the result.
    months : tuple of str, optional
        First and last month ``YYYY-MM`` of the selection; ``None`` means everything.

    Raises
    ------
    AccessDeniedError
        For the public role when the range does not start on a quarter's first month and end
        on a quarter's last month.
    """
    rules = rules_for(role)
    if rules.time_grain != "Q" or not months:
        return
    start, end = (int(str(m)[5:7]) for m in months)
    if (start - 1) % 3 or end % 3:
        raise AccessDeniedError(
            f"the {rules.role} role sees whole quarters only",
            [Problem(f"months {months[0]} to {months[1]} are not whole quarters",
                     column="months",
                     fix="start on January, April, July or October and end on March, June, "
                         "September or December")],
        )


def months_for(role: Role | str, months: tuple[str, str] | tuple[()] | None
               ) -> tuple[str, str] | tuple[()] | None:
    """Return ``months`` widened to whole quarters for a role whose grain is the quarter.

    Parameters
    ----------
    role : Role or str
        Who will see the result.
    months : tuple of str, optional
        First and last month ``YYYY-MM``; empty or ``None`` means every month.

    Returns
    -------
    tuple of str or the input
        For the public: from the first month of the first quarter to the last month of the
        last quarter; unchanged for other roles.
    """
    if rules_for(role).time_grain != "Q" or not months:
        return months
    start = pd.Period(str(months[0]), freq="M").asfreq("Q").asfreq("M", how="start")
    end = pd.Period(str(months[1]), freq="M").asfreq("Q").asfreq("M", how="end")
    return (str(start), str(end))

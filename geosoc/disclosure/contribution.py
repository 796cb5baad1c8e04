"""The per-agency contribution table as a role may see it.

Record counts and harm per agency are disclosed like any other total (cell key perturbation
for partners, the 10-5 rule for the public: :func:`geosoc.disclosure.tables.disclosed_totals`),
each from that agency's own records, so the table agrees with itself on every page and a
suppressed agency total says "suppressed". Months are not sensitive: an agency's first and
last month are shown (whole quarters for the public).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from geosoc.aggregate.contribution import contribution_table
from geosoc.disclosure.rules import Role, rules_for
from geosoc.disclosure.tables import disclosed_totals
from geosoc.schema import HARM, SOURCE


def disclosed_contribution(incidents: pd.DataFrame, role: Role | str, *,
                           owners: Mapping[str, str] | None = None,
                           secret: bytes | None = None) -> pd.DataFrame:
    """Return :func:`geosoc.aggregate.contribution.contribution_table` fit for ``role``.

    Parameters
    ----------
    incidents : pandas.DataFrame
        The incidents behind the output, already limited to the datasets ``role`` may see
        (the loaders' widest-role rule); ``harm`` in days.
    role : Role or str
        The audience.
    owners : mapping, optional
        Owner agency per source.
    secret : bytes, optional
        The cell key secret (default: the server key).

    Returns
    -------
    pandas.DataFrame
        ``source``, ``agency``, ``records`` and ``harm`` (float; NaN = suppressed),
        ``first_month``, ``last_month`` (quarters ``YYYYQn`` for the public).
    """
    rules = rules_for(role)
    table = contribution_table(incidents, owners)
    if rules.role is Role.ANALYST or table.empty:
        return table.assign(records=table["records"].astype(float))
    weighted = HARM in incidents.columns
    frame = incidents if weighted else incidents.assign(**{HARM: 0.0})
    totals = [disclosed_totals(frame[frame[SOURCE].astype(str) == source], rules.role,
                               secret=secret) for source in table["source"]]
    out = table.assign(records=[float("nan") if c is None else c for c, _ in totals],
                       harm=[float("nan") if h is None or not weighted else h
                             for _, h in totals])
    if rules.role is Role.PUBLIC:
        for column in ("first_month", "last_month"):
            out[column] = pd.PeriodIndex(out[column], freq="M").asfreq("Q").astype(str)
    return out

"""Partner area counts as layers: where each source's counts sit, how they enter harm.

A :class:`PartnerCounts` bundle holds the area-counts contract rows of every partner source
(``area_code``, ``month``, ``category``, ``source``, ``count``), the boundaries they refer to,
and how each source is **treated**:

- ``"harm"``: counts x the source's own harm weight (days per event, from the harm weights
  table: its ``(source, category)`` row, else its ``(source, "*")`` row, else 1 day) are added
  to harm totals;
- ``"indicator"``: kept as a separate count indicator beside harm (never summed into it);
- ``"signal"``: a vulnerability signal (cuckooing, child criminal exploitation, missing
  episodes, county lines referrals, loan sharks, digital key activations...): an indicator
  layer of its own with its own legend, **never** harm. A signal source cannot be set to
  ``"harm"``.

The user chooses ``"harm"`` or ``"indicator"`` per source (:func:`with_treatment`); sources
whose categories are all vulnerability signals are ``"signal"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd

from geosoc.aggregate.apportion import apportion, apportion_weights
from geosoc.errors import ConfigError, Problem
from geosoc.harm import apply_harm_weights
from geosoc.schema import AREA_CODE, CATEGORY, COUNT, HARM, MONTH, SOURCE, require_columns

__all__ = ["SIGNAL_KEYWORDS", "TREATMENTS", "PartnerCounts", "count_totals", "is_signal",
           "locate_count_areas", "weigh_counts"]

#: Words that mark a category as a vulnerability signal (case-insensitive substrings).
SIGNAL_KEYWORDS = ("cuckoo", "criminal exploitation", "cce", "missing", "county lines",
                   "loan shark", "illegal money lending", "digital key", "exploitation",
                   "modern slavery", "trafficking")
#: Treatments of a partner count source.
TREATMENTS = ("harm", "indicator", "signal")
#: Default treatment of a partner count source that is not a vulnerability signal.
DEFAULT_TREATMENT = "harm"
AREA_KIND = "area_kind"


def is_signal(categories: pd.Series | list[str]) -> np.ndarray:
    """Return whether each category names a vulnerability signal (:data:`SIGNAL_KEYWORDS`)."""
    text = pd.Series(categories, dtype="string").str.lower().fillna("")
    hit = np.zeros(len(text), dtype=bool)
    for word in SIGNAL_KEYWORDS:
        hit |= text.str.contains(word, regex=False).to_numpy(dtype=bool)
    return hit


def locate_count_areas(counts: pd.DataFrame, areas: Mapping[str, gpd.GeoDataFrame]
                       ) -> pd.DataFrame:
    """Return ``counts`` with ``area_kind``: the boundary set each source's codes belong to.

    Parameters
    ----------
    counts : pandas.DataFrame
        Area counts contract.
    areas : mapping of str to geopandas.GeoDataFrame
        Boundaries by kind (``"lsoa"``, ``"ward"``, ``"postcode_sector"``), index area code.

    Returns
    -------
    pandas.DataFrame
        A new frame: rows whose code is in no boundary set are dropped and counted per source
        in ``attrs["unmatched"]`` (``{source: rows}``) so callers can say so.
    """
    require_columns(counts, (AREA_CODE, MONTH, CATEGORY, SOURCE, COUNT), what="area counts")
    kind = pd.Series(pd.NA, index=counts.index, dtype="string")
    codes = counts[AREA_CODE].astype(str)
    for name, frame in areas.items():  # a few boundary sets
        if frame is not None:
            kind = kind.where(kind.notna() | ~codes.isin(frame.index.astype(str)), name)
    out = counts.assign(**{AREA_KIND: kind})
    lost = out[kind.isna().to_numpy()]
    out = out[kind.notna().to_numpy()].reset_index(drop=True)
    out.attrs["unmatched"] = lost.groupby(SOURCE)[COUNT].size().astype(int).to_dict()
    return out


def weigh_counts(counts: pd.DataFrame, weights: pd.DataFrame | None = None, *,
                 asb_weight: float | None = None) -> pd.DataFrame:
    """Return counts with ``harm`` = count x the source's own weight (days per event).

    The weight of a row is its ``(source, category)`` row of the harm weights table, else the
    source's ``"*"`` row, else 1 day (:func:`geosoc.harm.apply_harm_weights` with
    ``unknown=1.0``). Vectorised over distinct keys.
    """
    weighed = apply_harm_weights(counts[[SOURCE, CATEGORY]], weights, unknown=1.0,
                                 asb_weight=asb_weight)
    return counts.assign(**{HARM: weighed[HARM].to_numpy() * counts[COUNT].to_numpy(float)})


@dataclass(frozen=True)
class PartnerCounts:
    """Partner area counts ready for profiles, site scoring and phase tracking.

    Attributes
    ----------
    counts : pandas.DataFrame
        Area counts contract with ``area_kind`` and ``harm`` (days, from the source's own
        weight; :func:`weigh_counts`; 0 for vulnerability signals, which carry no harm).
    areas : dict of str to geopandas.GeoDataFrame
        Boundaries by kind (EPSG:4326) the codes refer to.
    treatment : dict of str to str
        Source -> ``"harm"``, ``"indicator"`` or ``"signal"``.
    unmatched : dict of str to int
        Rows per source whose area code matched no boundary (dropped).
    """

    counts: pd.DataFrame
    areas: dict[str, gpd.GeoDataFrame]
    treatment: dict[str, str] = field(default_factory=dict)
    unmatched: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, counts: pd.DataFrame, areas: Mapping[str, gpd.GeoDataFrame | None], *,
              weights: pd.DataFrame | None = None, asb_weight: float | None = None,
              treatment: Mapping[str, str] | None = None) -> PartnerCounts:
        """Locate, weigh and classify partner counts (police-source rows are left out)."""
        usable = {k: v for k, v in areas.items() if v is not None}
        partner = counts[counts[SOURCE].astype(str) != "police"]
        located = locate_count_areas(partner, usable)
        weighed = weigh_counts(located, weights, asb_weight=asb_weight)
        pairs = weighed[[SOURCE, CATEGORY]].astype(str).drop_duplicates()
        all_signal = pd.Series(is_signal(pairs[CATEGORY]), index=pairs.index).groupby(
            pairs[SOURCE]).all()
        base = {s: ("signal" if flag else DEFAULT_TREATMENT) for s, flag in all_signal.items()}
        # vulnerability signals carry no harm: they are counted, never weighted into days
        signal_rows = weighed[SOURCE].astype(str).map(base).eq("signal").to_numpy()
        weighed[HARM] = np.where(signal_rows, 0.0, weighed[HARM].to_numpy(float))
        out = cls(weighed, dict(usable), base, dict(located.attrs.get("unmatched", {})))
        return out.with_treatment(treatment or {})

    def with_treatment(self, choice: Mapping[str, str]) -> PartnerCounts:
        """Return a copy with the user's ``"harm"``/``"indicator"`` choice per source.

        Raises
        ------
        ConfigError
            Unknown source or treatment, or a vulnerability-signal source set to harm.
        """
        problems = []
        merged = dict(self.treatment)
        for source, mode in choice.items():
            if source not in merged:
                problems.append(Problem(f"no partner count source {source!r}", column=SOURCE,
                                        fix="use one of " + ", ".join(sorted(merged))))
            elif mode not in ("harm", "indicator"):
                problems.append(Problem(f"treatment {mode!r} for {source!r}", column=source,
                                        fix="use 'harm' or 'indicator'"))
            elif merged[source] == "signal":
                if mode == "harm":
                    problems.append(Problem(
                        f"{source!r} holds vulnerability signals, never harm days",
                        column=source, fix="leave it as its own indicator layer"))
            else:
                merged[source] = mode
        if problems:
            raise ConfigError("invalid partner count treatment", problems)
        return replace(self, treatment=merged)

    def sources(self, treatment: str | None = None) -> list[str]:
        """Return the sources (of one treatment), sorted."""
        return sorted(s for s, t in self.treatment.items() if treatment in (None, t))

    def rows(self, *, sources: list[str] | None = None,
             months: tuple[str, str] | tuple[()] | None = None) -> pd.DataFrame:
        """Return the count rows of ``sources`` within ``months`` (inclusive ``YYYY-MM``)."""
        frame = self.counts
        keep = np.ones(len(frame), dtype=bool)
        if sources is not None:
            keep &= frame[SOURCE].isin(sources).to_numpy()
        if months:
            first, last = (pd.Period(str(m), freq="M") for m in (months[0], months[-1]))
            keep &= ((frame[MONTH] >= first) & (frame[MONTH] <= last)).to_numpy()
        return frame[keep]

    def harm_total(self, months: tuple[str, str] | tuple[()] | None = None
                   ) -> tuple[float, float]:
        """Return (events, harm days) of the harm-treated sources (analyst view)."""
        rows = self.rows(sources=self.sources("harm"), months=months)
        return float(rows[COUNT].sum()), float(rows[HARM].sum())

    def layer(self, source: str, targets: gpd.GeoDataFrame, *, method: str = "area",
              population: pd.DataFrame | None = None,
              months: tuple[str, str] | tuple[()] | None = None,
              by: str | None = CATEGORY) -> pd.DataFrame:
        """Return one source's counts and harm apportioned to ``targets`` (analyst view).

        Parameters
        ----------
        source : str
            Partner source.
        targets : geopandas.GeoDataFrame
            Target polygons (H3 cover, wards, candidates), EPSG:4326.
        method, population
            As in :func:`geosoc.aggregate.apportion.apportion_weights`.
        months : tuple of str, optional
            Month range.
        by : str, optional
            Breakdown column (``count__<category>``...).

        Returns
        -------
        pandas.DataFrame
            Index the targets (all of them, zero-filled); ``count`` (apportioned events,
            fractional), ``harm`` (days), breakdown columns; ``attrs["method"]``.
        """
        rows = self.rows(sources=[source], months=months)
        out = pd.DataFrame(0.0, index=targets.index, columns=[COUNT, HARM])
        for kind, part in rows.groupby(AREA_KIND, sort=True):  # one or two area kinds
            totals = count_totals(part, by=by)
            shares = apportion_weights(self.areas[str(kind)], targets, method=method,
                                       population=population)
            placed = apportion(totals, shares).reindex(targets.index)
            out = out.add(placed.fillna(0.0), fill_value=0.0)
        out.attrs["method"] = method
        return out.fillna(0.0)


def count_totals(rows: pd.DataFrame, *, by: str | None = CATEGORY) -> pd.DataFrame:
    """Sum count rows per area: ``count``, ``harm`` and ``count__<k>``/``harm__<k>`` columns.

    Parameters
    ----------
    rows : pandas.DataFrame
        Area counts with ``harm`` (:func:`weigh_counts`).
    by : str, optional
        Breakdown column (``category`` or ``source``).

    Returns
    -------
    pandas.DataFrame
        Index ``area_code``.
    """
    values = [COUNT, HARM] if HARM in rows.columns else [COUNT]
    totals = rows.groupby(AREA_CODE, sort=True)[values].sum()
    if by is not None and len(rows):
        wide = rows.pivot_table(index=AREA_CODE, columns=by, values=values, aggfunc="sum",
                                fill_value=0, observed=True)
        wide.columns = [f"{v}__{k}" for v, k in wide.columns]
        totals = totals.join(wide)
    totals[COUNT] = totals[COUNT].astype(float)
    return totals

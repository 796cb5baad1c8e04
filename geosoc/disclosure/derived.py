"""Statistics shown to partners and the public, computed from disclosed values only.

Gi* and Local Moran are linear (or nearly) in the cell values: computed on raw values and
shown beside suppressed cells, one least-squares solve gives the suppressed values back.
Here they are computed on the *disclosed* layer (perturbed, suppressed, rounded), with every
suppressed value taken as 0, and blanked on the suppressed rows themselves; so anything an
attacker inverts is a function of what was already published.

:func:`disclose_profile` makes a whole :class:`~geosoc.hotspots.profile.LocalityProfile` fit
for a role this way (cells, areas, monthly series, concentration, bin counts), with the
record-key sums of the cell key method when the incidents are at hand.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from geosoc.config import server_key
from geosoc.disclosure.cell_key import RECORD_KEY, attach_record_keys, record_keys
from geosoc.disclosure.consistency import parent_codes
from geosoc.disclosure.layers import (
    disclose_areas,
    disclose_cells,
    disclose_series,
    disclose_totals,
)
from geosoc.disclosure.release import (
    released_areas,
    released_cells,
    released_series,
    released_total,
    released_whole,
)
from geosoc.disclosure.rules import Role, rules_for
from geosoc.hotspots import concentration_summary, find_hotspots
from geosoc.hotspots.profile import LocalityProfile
from geosoc.schema import COUNT, CRS_METRIC, HARM, MONTH

__all__ = ["disclose_profile", "hotspots_on_disclosed", "key_sums_for_incidents"]

_BLANK_FLOAT = ("gi_z", "gi_p", "gi_q", "lisa_i", "lisa_p")


def hotspots_on_disclosed(layer: gpd.GeoDataFrame, value: str = HARM, *,
                          transform_value: Literal["log1p"] | None = None,
                          lisa_permutations: int = 99, seed: int = 0) -> gpd.GeoDataFrame:
    """Return a disclosed layer with Gi* and Local Moran computed from its disclosed values.

    Parameters
    ----------
    layer : geopandas.GeoDataFrame
        Output of :func:`~geosoc.disclosure.disclose_cells` or
        :func:`~geosoc.disclosure.disclose_areas` (EPSG:4326), ``value`` in days or events,
        ``NaN`` where suppressed.
    value : str
        Column analysed.
    transform_value : {"log1p"}, optional
        Analyse ``ln(1 + value)``.
    lisa_permutations : int
        Local Moran permutations.
    seed : int
        Random seed of the permutations.

    Returns
    -------
    geopandas.GeoDataFrame
        The layer with the hot spot columns; suppressed rows have ``NaN`` statistics,
        ``hotspot_bin`` 0 and ``lisa_cluster`` ``"ns"``.
    """
    if len(layer) < 3:
        return layer.copy()
    filled = layer.assign(**{value: layer[value].fillna(0.0)})
    result = find_hotspots(filled, value, lisa_permutations=lisa_permutations, seed=seed,
                           transform_value=transform_value)
    result[value] = layer[value]
    hidden = layer["suppressed"].to_numpy(bool) if "suppressed" in layer else \
        layer[value].isna().to_numpy()
    for column in _BLANK_FLOAT:
        if column in result:
            result[column] = result[column].astype(float).mask(hidden)
    if "gi_fdr" in result:
        result["gi_fdr"] = result["gi_fdr"].mask(hidden, False).astype(bool)
    if "hotspot_bin" in result:
        result["hotspot_bin"] = result["hotspot_bin"].mask(hidden, 0).astype(int)
    if "lisa_cluster" in result:
        result["lisa_cluster"] = result["lisa_cluster"].mask(hidden, "ns")
    result.attrs = {**layer.attrs, "statistics_from": "disclosed values"}
    return result


def _filtered(incidents: pd.DataFrame, parameters: dict[str, object]) -> pd.DataFrame:
    """Apply the profile's month, category and source filters to ``incidents``."""
    keep = np.ones(len(incidents), dtype=bool)
    months = parameters.get("months")
    if months:
        start, end = (pd.Period(str(m), freq="M") for m in months)
        keep &= ((incidents[MONTH] >= start) & (incidents[MONTH] <= end)).to_numpy()
    for column in ("categories", "sources"):
        chosen = parameters.get(column)
        if chosen:
            keep &= incidents[column[:-1] if column == "sources" else "category"] \
                .isin(list(chosen)).to_numpy()
    return incidents[keep]


def _at(cells: gpd.GeoDataFrame, resolution: int) -> gpd.GeoDataFrame:
    """``cells`` with its resolution in ``attrs`` (a profile's layer may have lost it)."""
    out = cells.copy()
    out.attrs = {**cells.attrs, "h3_resolution": int(resolution)}
    return out


def key_sums_for_incidents(incidents: pd.DataFrame, secret: bytes) -> float:
    """Return the record-key sum of ``incidents`` (the cell key of a total)."""
    return float(record_keys(incidents, secret).sum())


def disclose_profile(profile: LocalityProfile, role: Role | str, *,
                     incidents: pd.DataFrame | None = None, secret: bytes | None = None,
                     lisa_permutations: int = 99, seed: int = 0) -> LocalityProfile:
    """Return ``profile`` fit for ``role``: disclosed values and statistics computed from them.

    Parameters
    ----------
    profile : LocalityProfile
        The analyst's profile (raw values).
    role : Role or str
        Who will see it; an analyst gets ``profile`` back unchanged.
    incidents : pandas.DataFrame, optional
        The incidents the profile was built from (before its filters): the release is
        made from their records. Required for partner and public (without them a
        ``AccessDeniedError`` is raised: per-output fallback keys would draw fresh noise).
    secret : bytes, optional
        The server key (:func:`geosoc.config.server_key` by default).
    lisa_permutations, seed : int
        Local Moran permutations and seed for the recomputed statistics.

    Returns
    -------
    LocalityProfile
        Cells at the role's finest resolution and areas of the kinds it may see, perturbed,
        suppressed and rounded, with Gi*/Local Moran from the disclosed values; the monthly
        table disclosed (quarters for the public); concentration from disclosed cell harm;
        no emerging hot spots (a per-cell time series of raw values).
    """
    rules = rules_for(role)
    if rules.role is Role.ANALYST:
        return profile
    if incidents is None:  # without the records there is no release to sum: never fresh noise
        from geosoc.errors import AccessDeniedError, Problem

        raise AccessDeniedError(
            f"a {rules.role.value} profile is made only from the disclosure release", [Problem(
                "the incidents behind this profile were not given (a Parquet file read by "
                "the engine), so its figures cannot be sums of released values",
                fix="profile the workspace (--workspace) as this user, or run it as an "
                    "analyst: raw files are for analysts")])
    secret = secret or server_key()
    cells, areas, monthly = profile.cells, dict(profile.areas), profile.monthly
    released = True  # every value below is a sum of released base values
    from geosoc.harm import apply_harm_weights

    chosen = _filtered(incidents, profile.parameters)
    if HARM not in chosen.columns:
        chosen = apply_harm_weights(chosen, scheme="count", unknown=1.0)
    chosen = attach_record_keys(chosen, secret) if RECORD_KEY not in chosen else chosen
    resolution = int(profile.parameters.get("resolution", cells.attrs.get("h3_resolution")))
    cells = released_cells(_at(cells, resolution), chosen, rules.role, secret=secret)
    areas = {kind: released_areas(frame, chosen, secret=secret)
             for kind, frame in areas.items() if kind in rules.area_kinds}
    whole = released_whole(chosen, secret)
    monthly = released_series(whole, monthly[[MONTH, COUNT, HARM]], None)
    out_cells = hotspots_on_disclosed(disclose_cells(cells, rules.role, secret=secret,
                                                     released=released),
                                      lisa_permutations=lisa_permutations, seed=seed)
    out_areas = {}
    for kind, frame in areas.items():
        if kind in rules.area_kinds:
            parent = (parent_codes(frame, areas["ward"])
                      if kind != "ward" and "ward" in areas else None)
            out_areas[kind] = hotspots_on_disclosed(
                disclose_areas(frame, rules.role, parent=parent, secret=secret,
                               released=released),
                lisa_permutations=lisa_permutations, seed=seed)
    out_monthly = disclose_series(monthly, rules.role, secret=secret, released=released)
    harm = out_cells[HARM].fillna(0.0)
    km2 = out_cells.geometry.to_crs(CRS_METRIC).area.to_numpy() / 1e6
    concentration = concentration_summary(harm, km2, n_events=int(out_cells[COUNT].sum()),
                                          unit="cells")
    layers = {"cells": out_cells, **out_areas}
    counts = pd.DataFrame({name: frame["hotspot_bin"].value_counts()
                           .reindex(range(3, -4, -1), fill_value=0)
                           for name, frame in layers.items() if "hotspot_bin" in frame})
    counts.index.name = "hotspot_bin"
    headline = disclose_totals(*released_total(whole), rules.role, released=True)
    parameters = {**profile.parameters, "role": str(rules.role), "headline": headline,
                  "disclosure": "disclosure release (cell key, each base value once) + "
                                "suppression"
                  + (" + rounding" if rules.rounding_base > 1 else ""),
                  "resolution": out_cells.attrs.get("h3_resolution")}
    return replace(profile, cells=out_cells, areas=out_areas, monthly=out_monthly,
                   concentration=concentration, emerging=None, hotspot_counts=counts,
                   parameters=parameters)


def disclose_for(profile: LocalityProfile, role: Role | str,
                 incidents: pd.DataFrame | None = None) -> tuple[LocalityProfile, str]:
    """Return ``(profile fit for role, its protective marking)``; one call for every shell.

    Parameters
    ----------
    profile : LocalityProfile
        The analyst's profile.
    role : Role or str
        The acting user's role.
    incidents : pandas.DataFrame, optional
        The incidents behind it (for record keys), see :func:`disclose_profile`.
    """
    from geosoc.disclosure.rules import PROTECTIVE_MARKING

    rules = rules_for(role)
    return (disclose_profile(profile, rules.role, incidents=incidents),
            PROTECTIVE_MARKING[rules.role])

"""Partner area counts disclosed for a role: the only path partner/public see them through.

Area counts have no records to key, so each **count row** (source, area, month, category) is a
base cell of the release (:mod:`geosoc.disclosure.release`): it gets a record key -- a keyed
hash of that identity with the server secret -- and its count is perturbed once by the cell
key method (:func:`released_rows`), its harm the released count times the source's weight.
Every published value (an area over a month range, a ward roll-up, a source total, a phase
or category group, the H3 apportionment) is a sum of released rows, so no month range,
geography or page draws fresh noise, and the difference of two tables is a sum of released
rows.

Disclosure happens at the **source areas** (the unit the partner shared): partner roles see
the released, suppressed area totals; the public sees them rolled up to wards (best fit of
each area's representative point) and rounded to 5, by quarter. Anything shown on a finer or
other geography (H3 cells, candidate sites) is apportioned *from the disclosed values*
(:func:`disclosed_count_cells`), never from the raw counts.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geosoc.aggregate.apportion import apportion, apportion_weights
from geosoc.aggregate.count_layers import AREA_KIND, PartnerCounts, count_totals
from geosoc.config import server_key
from geosoc.disclosure.cell_key import KEY_RANGE, _hash_key
from geosoc.disclosure.layers import disclose_areas, disclose_series, disclose_totals
from geosoc.disclosure.release import release
from geosoc.disclosure.rules import Role, allowed_resolution, months_for, rules_for
from geosoc.errors import AccessDeniedError, Problem
from geosoc.schema import AREA_CODE, CATEGORY, COUNT, HARM, KIND, MONTH, SOURCE

__all__ = [
    "count_row_keys",
    "disclosed_count_areas",
    "disclosed_count_cells",
    "disclosed_count_series",
    "disclosed_count_totals",
    "disclosed_group_totals",
    "disclosed_signal_totals",
    "released_rows",
]


def count_row_keys(rows: pd.DataFrame, secret: bytes) -> np.ndarray:
    """Return each count row's record key in ``0 .. 255`` (keyed hash of its identity).

    Parameters
    ----------
    rows : pandas.DataFrame
        Area counts contract (``source``, ``area_code``, ``month``, ``category``).
    secret : bytes
        The server's disclosure secret.
    """
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64)
    identity = pd.DataFrame({c: rows[c].astype("string").fillna("")
                             for c in (SOURCE, AREA_CODE, MONTH, CATEGORY)})
    hashed = pd.util.hash_pandas_object(identity, index=False,
                                        hash_key=_hash_key(secret, "count-row-key"))
    return (hashed.to_numpy(dtype=np.uint64) % np.uint64(KEY_RANGE)).astype(np.int64)


def released_rows(rows: pd.DataFrame, secret: bytes) -> pd.DataFrame:
    """Return count rows with ``count`` and ``harm`` replaced by their released values.

    Parameters
    ----------
    rows : pandas.DataFrame
        Area counts contract rows with ``count`` (events) and ``harm`` (days).
    secret : bytes
        The server's disclosure secret.

    Returns
    -------
    pandas.DataFrame
        A copy: ``count`` (float events) perturbed once by the cell key of the row's key,
        ``harm`` that count times the row's weight (``harm / count``).
    """
    counts = rows[COUNT].fillna(0).round().astype(np.int64)
    base = pd.DataFrame({COUNT: counts.to_numpy(), HARM: rows[HARM].to_numpy(dtype=float),
                         "keysum": count_row_keys(rows, secret)}, index=rows.index)
    out = release(base)
    return rows.assign(**{COUNT: out["released"].astype(float).to_numpy(),
                          HARM: out["released_harm"].to_numpy()})


def _best_fit(areas: gpd.GeoDataFrame, wards: gpd.GeoDataFrame) -> pd.Series:
    """Ward code of each area's representative point (EPSG:4326 both)."""
    points = shapely.point_on_surface(areas.geometry.to_numpy())
    pos, ward = shapely.STRtree(wards.geometry.to_numpy()).query(points, predicate="within")
    first = ~pd.Series(pos).duplicated().to_numpy()
    return pd.Series(wards.index.to_numpy()[ward[first]], index=areas.index[pos[first]])


def _in_months(rows: pd.DataFrame, role: Role, months: tuple[str, str] | None) -> pd.DataFrame:
    months = months_for(role, months)
    if not months:
        return rows
    first, last = (pd.Period(str(m), freq="M") for m in (months[0], months[-1]))
    return rows[((rows[MONTH] >= first) & (rows[MONTH] <= last)).to_numpy()]


def _rows_for(bundle: PartnerCounts, source: str, role: Role,
              months: tuple[str, str] | None, secret: bytes) -> tuple[pd.DataFrame, str]:
    """Rows of ``source`` in the role's months, keyed, on a geography the role may see."""
    rows = _in_months(bundle.rows(sources=[source]), role, months)
    if role is not Role.ANALYST:
        rows = released_rows(rows, secret)
    kinds = sorted(rows[AREA_KIND].astype(str).unique()) or ["ward"]
    allowed = rules_for(role).area_kinds
    if all(k in allowed for k in kinds) and len(kinds) == 1:
        return rows, kinds[0]
    # public (or mixed geographies): roll each area up to its ward by best fit
    wards = bundle.areas["ward"]
    lookup = pd.concat([_best_fit(bundle.areas[k], wards) for k in kinds if k != "ward"]
                       + [pd.Series(wards.index, index=wards.index)])
    lookup = lookup[~lookup.index.duplicated()]
    rolled = rows.assign(**{AREA_CODE: rows[AREA_CODE].map(lookup)}).dropna(subset=[AREA_CODE])
    return rolled.assign(**{AREA_KIND: "ward"}), "ward"


def disclosed_count_areas(bundle: PartnerCounts, source: str, role: Role | str, *,
                          months: tuple[str, str] | None = None, by: str | None = CATEGORY,
                          min_count: int | None = None,
                          secret: bytes | None = None) -> gpd.GeoDataFrame:
    """Return one partner source's counts and harm (days) per area, fit for ``role``.

    Parameters
    ----------
    bundle : PartnerCounts
        The study's partner counts.
    source : str
        Partner source.
    role : Role or str
        Who will see it.
    months : tuple of str, optional
        Month range (whole quarters for the public).
    by : str, optional
        Breakdown (``count__<category>``).
    min_count : int, optional
        Stricter threshold.
    secret : bytes, optional
        The server key.

    Returns
    -------
    geopandas.GeoDataFrame
        Areas contract (index ``area_code``, ``name``, ``kind``, geometry EPSG:4326) with
        ``count``/``harm`` (and breakdowns); for partner and public sums of released rows
        (:func:`released_rows`), suppressed and (public) rounded, with ``suppressed``.
        ``attrs["area_kind"]`` names the geography.
    """
    rules = rules_for(role, min_count=min_count)
    secret = secret or server_key()
    rows, kind = _rows_for(bundle, source, rules.role, months, secret)
    areas = bundle.areas[kind]
    totals = count_totals(rows, by=by)
    frame = gpd.GeoDataFrame(totals.reindex(areas.index).fillna(0.0).join(
        areas[[c for c in ("name", KIND) if c in areas.columns]]),
        geometry=areas.geometry, crs=areas.crs)
    frame.index.name = AREA_CODE
    layer = disclose_areas(frame, rules.role, min_count=min_count, released=True)
    layer.attrs["area_kind"] = kind
    return layer


def disclosed_count_cells(bundle: PartnerCounts, source: str, role: Role | str, *,
                          cover: gpd.GeoDataFrame, method: str = "area",
                          population: pd.DataFrame | None = None,
                          months: tuple[str, str] | None = None, min_count: int | None = None,
                          secret: bytes | None = None) -> gpd.GeoDataFrame:
    """Return a source's disclosed area values apportioned to H3 cells (or other targets).

    The role's disclosed area table (:func:`disclosed_count_areas`) is apportioned with
    :func:`geosoc.aggregate.apportion.apportion_weights`; suppressed areas give nothing and
    mark the cells they touch ``suppressed_share`` > 0. For partner and public a cover finer
    than the role's finest H3 resolution is refused (pass a coarser cover).

    Returns
    -------
    geopandas.GeoDataFrame
        ``cover`` with ``count`` (apportioned events), ``harm`` (days),
        ``suppressed_share`` (share of the cell's apportioning weight from suppressed areas);
        ``attrs["method"]`` names the apportioning method.
    """
    rules = rules_for(role, min_count=min_count)
    if "h3_resolution" in cover.attrs:
        resolution = int(cover.attrs["h3_resolution"])
        if allowed_resolution(rules.role, resolution) != resolution:
            raise AccessDeniedError(f"H3 resolution {resolution} is too fine for this view", [
                Problem(f"the {rules.role} view allows H3 resolution "
                        f"{rules.finest_h3_resolution} or coarser", column="resolution",
                        fix=f"use resolution {rules.finest_h3_resolution} or coarser")])
    areas = disclosed_count_areas(bundle, source, rules.role, months=months, by=None,
                                  min_count=min_count, secret=secret)
    shares = apportion_weights(areas, cover, method=method, population=population)
    suppressed = areas["suppressed"].astype(float) if "suppressed" in areas else \
        pd.Series(0.0, index=areas.index)
    values = pd.DataFrame({COUNT: areas[COUNT].fillna(0.0), HARM: areas[HARM].fillna(0.0),
                           "suppressed_share": suppressed})
    placed = apportion(values, shares).reindex(cover.index).fillna(0.0)
    out = cover.copy()
    for column in placed.columns:
        out[column] = placed[column].to_numpy()
    out.attrs = {**cover.attrs, "method": method, "role": str(rules.role),
                 "area_kind": areas.attrs.get("area_kind")}
    return out


def disclosed_count_series(bundle: PartnerCounts, role: Role | str, *,
                           sources: list[str] | None = None,
                           months: tuple[str, str] | None = None,
                           min_count: int | None = None,
                           secret: bytes | None = None) -> pd.DataFrame:
    """Return monthly (public: quarterly) counts and harm per source, fit for ``role``."""
    rules = rules_for(role, min_count=min_count)
    secret = secret or server_key()
    rows = _in_months(bundle.rows(sources=sources), rules.role, months)
    if rules.role is not Role.ANALYST:
        rows = released_rows(rows, secret)
    table = rows.groupby([MONTH, SOURCE], as_index=False)[[COUNT, HARM]].sum()
    return disclose_series(table, rules.role, by=[SOURCE], min_count=min_count, released=True)


def disclosed_count_totals(bundle: PartnerCounts, role: Role | str, *,
                           months: tuple[str, str] | None = None,
                           secret: bytes | None = None) -> pd.DataFrame:
    """Return each source's total events and harm (days), disclosed once for ``role``.

    Returns
    -------
    pandas.DataFrame
        Index ``source``; ``treatment``, ``count``, ``harm`` (NaN when suppressed, and for
        indicator and signal sources, whose counts are not harm).
    """
    rules = rules_for(role)
    secret = secret or server_key()
    records = []
    for source in bundle.sources():  # a handful of sources
        rows = _in_months(bundle.rows(sources=[source]), rules.role, months)
        if rules.role is not Role.ANALYST:
            rows = released_rows(rows, secret)
        count, harm = disclose_totals(float(rows[COUNT].sum()), float(rows[HARM].sum()),
                                      rules.role, released=True)
        treatment = bundle.treatment[source]
        records.append({SOURCE: source, "treatment": treatment, COUNT: count,
                        HARM: harm if treatment == "harm" else None})
    return pd.DataFrame(records, columns=[SOURCE, "treatment", COUNT, HARM]).set_index(SOURCE)


def disclosed_group_totals(rows: pd.DataFrame, role: Role | str, *, by: list[str],
                           secret: bytes | None = None) -> pd.DataFrame:
    """Return events and harm (days) of count rows per group, each disclosed once.

    Parameters
    ----------
    rows : pandas.DataFrame
        Area count rows (with ``harm``), already cut to the areas and months wanted.
    role : Role or str
        Who will see them.
    by : list of str
        Group columns (``["source", "category"]``, ``["source", "phase"]``).
    secret : bytes, optional
        The server key.

    Returns
    -------
    pandas.DataFrame
        One row per group: the ``by`` columns, ``count`` and ``harm`` (NaN when suppressed),
        sums of released rows (:func:`released_rows`) for partner and public.
    """
    rules = rules_for(role)
    secret = secret or server_key()
    if rules.role is not Role.ANALYST:
        rows = released_rows(rows, secret)
    sums = rows.groupby(by, as_index=False, observed=True)[[COUNT, HARM]].sum()
    shown = [disclose_totals(c, h, rules.role, released=True)
             for c, h in zip(sums[COUNT], sums[HARM], strict=True)]
    out = sums[by].copy()
    out[COUNT] = [np.nan if c is None else c for c, _ in shown]
    out[HARM] = [np.nan if h is None else h for _, h in shown]
    return out


def disclosed_signal_totals(bundle: PartnerCounts, role: Role | str, *,
                            months: tuple[str, str] | None = None,
                            secret: bytes | None = None) -> pd.DataFrame:
    """Return events per vulnerability-signal category, each a sum of released rows.

    The per-category figure of a signal table must come from here, not from summing the
    shown areas of a layer: that sum leaves every suppressed area out (all of them, for a
    rare signal), so it reads 0 where the analyst sees 41.

    Parameters
    ----------
    bundle : PartnerCounts
        The study's partner counts.
    role : Role or str
        Who will see them.
    months : tuple of str, optional
        Month range (whole quarters for the public).
    secret : bytes, optional
        The server key.

    Returns
    -------
    pandas.DataFrame
        ``source``, ``category``, ``count`` (events; NaN when suppressed), one row per
        signal category; empty without signal sources.
    """
    rules = rules_for(role)
    signals = bundle.sources("signal")
    if not signals:
        return pd.DataFrame(columns=[SOURCE, CATEGORY, COUNT])
    rows = bundle.rows(sources=signals, months=months_for(rules.role, months) or None)
    table = disclosed_group_totals(rows, rules.role, by=[SOURCE, CATEGORY], secret=secret)
    return table.drop(columns=HARM)

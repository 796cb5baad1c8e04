"""One formatter for every table a person reads: column names in words with units, codes as labels.

The app's tables and the HTML packs both go through :func:`display_table`, so a column is
named the same way everywhere ("Harm (days, CCHI)", not ``harm`` beside ``Harm (days)``),
Gi* bins read "Hot spot, 99% confidence" instead of ``3``, H3 cells are named by the ward
they lie in ("Cell 9a7f3 in Market Square") rather than by a 15-character id, and a column
that repeats another is shown once.

No UI library is imported: the frames returned are plain pandas, ready for
``st.dataframe`` or :func:`geosoc.report.profile_report` 's HTML tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geosoc.maps.legend import HOTSPOT_LABELS

#: Local Moran cluster codes in words.
LISA_LABELS = {"HH": "High harm among high (hot cluster)", "LL": "Low harm among low (cold "
               "cluster)", "HL": "High harm among low (outlier)", "LH": "Low harm among high "
               "(outlier)", "ns": "Not significant"}

#: Known sources in words (others: underscores to spaces, first letter capital).
SOURCE_LABELS = {
    "police": "Police recorded crime",
    "police activity": "Police activity (drugs, weapons found)",
    "council_asb": "Council ASB reports",
    "fire": "Fire service",
    "health_ae": "Hospital A&E (assaults)",
}

#: Column -> heading; ``{unit}`` is replaced by the harm unit of the table.
COLUMN_LABELS: dict[str, str] = {
    "name": "Area", "code": "Code", "area_code": "Area code", "h3": "H3 cell",
    "cell": "Cell (ward of its centre, short id)", "kind": "Area kind",
    "count": "Events", "harm": "Harm ({unit})", "shown": "Harm in the layers shown ({unit})",
    "hotspot_bin": "Gi* hot spot (FDR-corrected)", "gi_z": "Gi* z-score",
    "gi_p": "Gi* p-value", "lisa_cluster": "Local Moran cluster",
    "emerging_class": "Emerging hot spot class",
    "rank": "Rank (1 = highest score)", "score": "Site score (weighted sum, higher = more "
    "harm and need)", "area_km2": "Area (km²)", "police_harm": "Police harm (days, CCHI)",
    "hotspot": "Hot spot component (mean Gi* z of its cells)",
    "phase": "Phase", "layer": "Layer", "source": "Source", "months": "Months",
    "count_pct_change": "Change in events per month vs baseline (%)",
    "harm_pct_change": "Change in harm per month vs baseline (%)",
    "rate_ratio": "Rate ratio (phase ÷ baseline, per month)", "rr_p": "p-value of the rate ratio",
    "reading": "Reading", "ring": "Ring", "zone": "Zone",
    "site_pct": "Site change vs baseline (%)", "ring_pct": "Ring change vs baseline (%)",
    "control_pct": "Control change vs baseline (%)",
    "wdq": "WDQ (weighted displacement quotient)", "wdq_band": "WDQ reading",
    "tne": "Total net effect (events or harm avoided)",
    "wdd": "WDD (weighted displacement difference)", "wdd_se": "WDD standard error",
    "wdd_p": "WDD p-value", "month": "Month", "quarter": "Quarter",
    "observed": "Observed", "expected": "Expected (from untreated areas)",
    "ratio": "Observed ÷ expected", "p": "p-value (one-sided)", "alert": "Alert",
    "status": "Status", "category": "Category", "sector": "Sector", "services": "Services",
    "contact": "Contact", "n": "Assets",
    "activity_id": "Reference", "date": "Date", "pillar": "4P pillar", "agency": "Agency",
    "activity_type": "Activity", "outcome": "Outcome", "notes": "Notes",
    "police": "Police activities", "partners": "Partner activities",
    "partner_share": "Partner share of activities (0 to 1)",
    "from": "From", "to": "To", "measure": "Measure", "method": "Method",
    "question": "Question", "response": "Response",
    "share_before": "Share before (0 to 1)", "share_after": "Share after (0 to 1)",
    "change_pts": "Change (percentage points)", "verdict": "Verdict",
    "activities": "Activities", "engagement": "Engagement", "pillars": "4P pillars",
    "all phases": "All phases", "ocg_ref": "OCG reference (opaque)", "site": "Site",
}


#: Decimal places shown per column (percentages 1, ratios 2, scores 3, p-values 4).
_DIGITS = {
    1: ("area_km2",),
    2: ("gi_z", "hotspot", "rate_ratio", "ratio", "wdq", "wdd", "wdd_se", "tne", "observed",
        "expected"),
    3: ("score",),
    4: ("p", "gi_p", "rr_p", "wdd_p"),
}


def source_label(source: object) -> str:
    """Return a data source (``council_asb``) in words (``Council ASB reports``)."""
    text = str(source)
    if text in SOURCE_LABELS:
        return SOURCE_LABELS[text]
    text = text.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def unit_text(unit: str) -> str:
    """Return a harm unit fit for a heading's brackets: ``days (CCHI)`` -> ``days, CCHI``."""
    head, sep, rest = unit.partition(" (")
    return f"{head}, {rest.removesuffix(')')}" if sep else unit


def short_unit(unit: str) -> str:
    """Return the unit without its caveat, for headings and axes: ``days, CCHI``.

    ``days (CCHI; ASB at a nominal weight, not a CCHI offence)`` becomes ``days, CCHI``; the
    caveat belongs in the caption under the table or chart (a long heading pushes the values
    out of sight).
    """
    return unit_text(unit).split(";")[0].strip()


def column_label(column: str, unit: str = "days, CCHI") -> str:
    """Return the heading of ``column`` in words with its unit (``harm`` -> ``Harm (days...)``).

    Per-source columns ``harm__<source>``/``count__<source>`` read ``Harm from <source>``.
    Unknown columns get underscores replaced and a capital letter. ``unit`` may be given as
    :func:`geosoc.harm.harm_unit` writes it (``days (CCHI)``).
    """
    unit = short_unit(unit)
    measure, sep, source = column.partition("__")
    if sep and source in ("norm", "contrib"):
        what = "scaled 0 to 1" if source == "norm" else "its part of the score"
        return f"{column_label(measure, unit)}, {what}"
    if sep and measure in ("harm", "count"):
        what = "Harm" if measure == "harm" else "Events"
        suffix = f" ({unit})" if measure == "harm" else ""
        return f"{what} from {source_label(source)}{suffix}"
    if column in COLUMN_LABELS:
        return COLUMN_LABELS[column].format(unit=unit)
    text = column.replace("_", " ")
    return text[:1].upper() + text[1:]


def short_cell_id(h3_ids: pd.Index | pd.Series | Sequence[str]) -> np.ndarray:
    """Return a short, readable form of H3 ids: the last 5 significant hex digits.

    H3 ids of one resolution share their first digits and end in ``f`` padding, so the
    digits just before the padding tell neighbouring cells apart.
    """
    ids = pd.Series(list(h3_ids), dtype=str).str.rstrip("f")
    return ids.str[-5:].to_numpy()


def cell_names(cells: gpd.GeoDataFrame, areas: gpd.GeoDataFrame | None, *,
               outside: str = "outside the wards") -> pd.Series:
    """Name H3 cells by the area their centre lies in: ``"Cell 9a7f3 in Market Square"``.

    Parameters
    ----------
    cells : geopandas.GeoDataFrame
        H3 cells indexed by id (EPSG:4326).
    areas : geopandas.GeoDataFrame or None
        Areas (EPSG:4326) with a ``name`` column (wards); ``None`` names cells by id only.
    outside : str
        Said of a cell whose centre is in no area.

    Returns
    -------
    pandas.Series of str
        Same index as ``cells``.
    """
    short = short_cell_id(cells.index)
    if areas is None or areas.empty or cells.empty:
        return pd.Series([f"Cell {s}" for s in short], index=cells.index, dtype=object)
    centres = shapely.centroid(cells.geometry.to_numpy())
    tree = shapely.STRtree(areas.geometry.to_numpy())
    cell_i, area_i = tree.query(centres, predicate="within")
    names = areas["name"].astype(str).to_numpy() if "name" in areas.columns else \
        areas.index.astype(str).to_numpy()
    where = np.full(len(cells), f"({outside})", dtype=object)
    first = pd.Series(area_i).groupby(cell_i).first()  # a centre on a shared edge: one area
    where[first.index.to_numpy()] = "in " + names[first.to_numpy()].astype(object)
    return pd.Series([f"Cell {s} {w}" for s, w in zip(short, where, strict=True)],
                     index=cells.index, dtype=object)


def _as_text(values: pd.Series, column: str) -> pd.Series:
    """Codes to words: Gi* bins, Local Moran clusters, periods, flags, sources."""
    if column == "hotspot_bin":
        return values.map(lambda b: HOTSPOT_LABELS.get(int(b), str(b)) if pd.notna(b) else "")
    if column == "lisa_cluster":
        return values.map(lambda c: LISA_LABELS.get(str(c), str(c)))
    if column == "source":
        return values.map(source_label)
    if column in ("phase", "layer", "pillar"):
        return values.astype(str).str.capitalize()
    if (column in ("harm", "shown", "police_harm") or column.startswith("harm__")) \
            and pd.api.types.is_float_dtype(values):
        return values.round(0)  # whole days: decimals of a CCHI weight are not information
    counted = column in ("count", "n", "police", "partners") or column.startswith("count__")
    if counted and pd.api.types.is_float_dtype(values):
        whole = values.dropna()
        if (whole == whole.round()).all():
            return values.astype("Int64")  # suppressed stays empty, counts show no ".0"
    if pd.api.types.is_float_dtype(values):
        for digits, names in _DIGITS.items():
            if column in names or (digits == 1 and column.endswith(("_pct", "_pct_change"))):
                return values.round(digits)
    if isinstance(values.dtype, pd.PeriodDtype):
        return values.astype(str)
    if pd.api.types.is_bool_dtype(values):
        return values.map({True: "yes", False: "no"})
    return values


def _same(a: pd.Series, b: pd.Series) -> bool:
    """Whether two columns hold the same values (numbers equal up to rounding error)."""
    if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b) \
            and not pd.api.types.is_bool_dtype(a) and not pd.api.types.is_bool_dtype(b):
        return bool(np.allclose(a.to_numpy(float), b.to_numpy(float), rtol=1e-9, atol=1e-6,
                                equal_nan=True))
    return a.equals(b)


def display_table(frame: pd.DataFrame, columns: Sequence[str] | Mapping[str, str], *,
                  unit: str = "days, CCHI", index: str | None = None,
                  drop_repeats: bool = True) -> pd.DataFrame:
    """Return ``frame`` ready to show: chosen columns in words, codes as labels, no repeats.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any table (a disclosed layer, a phase comparison...); not modified.
    columns : sequence of str or mapping of str to str
        Columns to show, in order; a mapping gives its own heading for some. Columns not in
        ``frame`` are skipped.
    unit : str
        Unit of harm in this table (e.g. :func:`geosoc.harm.harm_unit`), put in headings.
    index : str, optional
        Keep the index as a first column with this key (e.g. ``"cell"``, ``"area_code"``).
    drop_repeats : bool
        Leave out a column whose values equal an earlier shown column's (e.g. the harm of the
        layers shown when every layer is shown).

    Returns
    -------
    pandas.DataFrame
        A new frame with a plain 0..n-1 index and headings in words.
    """
    wanted = dict(columns) if isinstance(columns, Mapping) else {c: None for c in columns}
    source = frame.reset_index(names=index) if index else frame
    present = [c for c in wanted if c in source.columns]
    out = pd.DataFrame(index=range(len(source)))
    headings: list[str] = []
    kept: list[pd.Series] = []
    for column in present:
        values = source[column].reset_index(drop=True)
        if drop_repeats and any(_same(values, k) for k in kept):
            continue
        kept.append(values)
        heading = wanted[column] or column_label(column, unit)
        if heading in headings:  # two columns, one heading: say which is which
            heading = f"{heading} [{column}]"
        headings.append(heading)
        out[heading] = _as_text(values, column)
    return out

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

from geosoc.maps.legend import HOTSPOT_LABELS
from geosoc.report.readable import (
    cell_labels,
    is_h3_column,
    named_codes,
    p_value_text,
    readable_values,
)

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
    "cell": "Cell (ward of its centre, short id)", "kind": "Kind",
    "area_kind": "Area kind", "loaded_by": "Loaded by", "loaded_at": "Loaded at",
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
    "status": "Status",
    "treatment": "How it counts", "p_holm": "p-value (Holm-adjusted)", "z": "z-score",
    "power": "Power (chance a 40% fall is detected)", "dataset": "Dataset",
    "owner_agency": "Owner agency", "isa_reference": "ISA reference",
    "dpia_reference": "DPIA reference", "legal_basis": "Legal basis",
    "widest_role": "Widest role allowed", "delete_by": "Delete by", "category": "Category",
    "sector": "Sector",
    "services": "Services",
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
    "population": "Residents (ONS mid-year)", "count_per_1000": "Events per 1,000 residents",
    "harm_per_1000": "Harm per 1,000 residents ({unit})",
    "police_count_per_1000": "Police events per 1,000 residents",
    "police_harm_per_1000": "Police harm per 1,000 residents ({unit})",
    "small_population": "Under 100 residents (rate unreliable)",
}


#: Decimal places shown per column (percentages 1, ratios 2, scores 3, p-values 4).
_DIGITS = {
    1: ("area_km2",),
    2: ("gi_z", "hotspot", "rate_ratio", "ratio", "wdq", "wdd", "wdd_se", "tne", "observed",
        "expected"),
    3: ("score",),
}
#: p-value columns: 3 decimals as text, "< 0.001" below.
_P_VALUES = ("p", "gi_p", "rr_p", "wdd_p", "p_value")
#: Code columns shown as "Name (code)" (merged into a ``name`` column when there is one).
_CODE_COLUMNS = ("code", "area_code", "ward_code", "lsoa_code", "control_code", "zone_code")


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
    if sep and measure == "nearest":
        return f"Nearest {source.replace('_', ' ')} asset"
    if sep and measure == "distance_m":
        return f"Distance to the nearest {source.replace('_', ' ')} asset (m)"
    if sep and measure == "partner_harm":
        return f"Partner harm from {source_label(source)} ({unit})"
    if sep:  # any other per-source or per-category column: never a raw "__" key
        return f"{column_label(measure, unit)}: {source_label(source)}"
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
    return cell_labels(cells.index, areas, outside=outside).set_axis(cells.index)


def _as_text(values: pd.Series, column: str, *, names: Mapping[str, str] | pd.Series | None,
             areas: gpd.GeoDataFrame | None) -> pd.Series:
    """Codes to words: Gi* bins, Local Moran clusters, periods, flags, sources, ids, gaps."""
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
    if column in _P_VALUES or column.startswith("p_") or column.endswith("_p"):
        return p_value_text(values)
    if pd.api.types.is_float_dtype(values):
        for digits, columns in _DIGITS.items():
            if column in columns or (digits == 1 and column.endswith(("_pct", "_pct_change"))):
                return values.round(digits)
    if column in ("h3", "cell") and is_h3_column(values):  # ids; a label stays as it is
        return cell_labels(values, areas).set_axis(values.index)
    if column in _CODE_COLUMNS:
        return named_codes(values, names)
    return readable_values(values, names=names, areas=areas)


def _same(a: pd.Series, b: pd.Series) -> bool:
    """Whether two columns hold the same values (numbers equal up to rounding error)."""
    if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b) \
            and not pd.api.types.is_bool_dtype(a) and not pd.api.types.is_bool_dtype(b):
        return bool(np.allclose(a.to_numpy(float), b.to_numpy(float), rtol=1e-9, atol=1e-6,
                                equal_nan=True))
    return a.equals(b)


def display_table(frame: pd.DataFrame,
                  columns: Sequence[str] | Mapping[str, str] | None = None, *,
                  unit: str = "days, CCHI", index: str | None = None,
                  drop_repeats: bool = True, names: Mapping[str, str] | pd.Series | None = None,
                  areas: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """Return ``frame`` ready to show: chosen columns in words, codes as labels, no repeats.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any table (a disclosed layer, a phase comparison...); not modified.
    columns : sequence of str or mapping of str to str, optional
        Columns to show, in order; a mapping gives its own heading for some. Columns not in
        ``frame`` are skipped. Default: every column but the geometry.
    unit : str
        Unit of harm in this table (e.g. :func:`geosoc.harm.harm_unit`), put in headings.
    index : str, optional
        Keep the index as a first column with this key (e.g. ``"cell"``, ``"area_code"``).
    drop_repeats : bool
        Leave out a column whose values equal an earlier shown column's (e.g. the harm of the
        layers shown when every layer is shown).
    names : mapping or Series of area code -> name, optional
        Names for code columns (a boundary frame's ``name`` indexed by code); a code is only
        ever shown beside its name. A ``name`` column of ``frame`` is used first: the code
        column is then folded into it (``"Hollins (E05999008)"``).
    areas : geopandas.GeoDataFrame, optional
        Areas (EPSG:4326, ``name`` column) that H3 cells are named by.

    Returns
    -------
    pandas.DataFrame
        A new frame with a plain 0..n-1 index and headings in words: no H3 id, no code
        without its name, no float with more than 3 decimals, "not known" for missing text.
    """
    if columns is None:
        columns = [*([index] if index else []), *(c for c in frame.columns if c != "geometry")]
    wanted = dict(columns) if isinstance(columns, Mapping) else {c: None for c in columns}
    source = frame.reset_index(names=index) if index else frame
    present = [c for c in wanted if c in source.columns]
    code = next((c for c in present if c in _CODE_COLUMNS), None)
    if code is not None and "name" in present:  # one column: "Hollins (E05999008)"
        names = dict(zip(source[code], source["name"], strict=True))
        wanted[code] = wanted["name"] or wanted[code] or "Area"
        present.remove("name")
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
        out[heading] = _as_text(values, column, names=names, areas=areas)
    return out


def side_by_side(table: pd.DataFrame, names: Mapping[str, str] | pd.Series | None = None, *,
                 unit: str = "days, CCHI") -> pd.DataFrame:
    """Return a figures x items table (rows: figures, columns: candidates) fit to read.

    Each figure row is formatted as :func:`display_table` formats that column (rounded,
    codes to words); rows are named in words, columns by the items' names. A ``name`` row,
    if present, is used for the column headings and dropped.

    Parameters
    ----------
    table : pandas.DataFrame
        Index: figure keys (``score``, ``police_harm``...); columns: item codes.
    names : mapping or Series of code -> name, optional
        Column names when ``table`` has no ``name`` row.
    unit : str
        Harm unit for the figure names.

    Returns
    -------
    pandas.DataFrame of str, index "Figure".
    """
    lookup = dict(names.items()) if names is not None else {}
    if "name" in table.index:
        lookup.update(table.loc["name"].astype(str).to_dict())
        table = table.drop(index="name")
    columns = {figure: _numeric_if_possible(values) for figure, values in table.T.items()}
    rows = display_table(pd.DataFrame(columns), list(table.index), unit=unit,
                         drop_repeats=False)
    text = rows.map(_cell_text)
    text.index = [lookup.get(c, str(c)) for c in table.columns]
    return text.T.rename_axis("Figure")


def _cell_text(value: object) -> str:
    """One value as text: whole numbers with thousands separators, gaps "not known"."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "not known"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, (float, np.floating)):
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"
    return str(value)


def _numeric_if_possible(values: pd.Series) -> pd.Series:
    """Return a transposed figure row (object dtype) as numbers when every value is one."""
    try:
        return pd.to_numeric(values)
    except (TypeError, ValueError):
        return values

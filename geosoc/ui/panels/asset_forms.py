"""Widgets of the Community assets page: structured fields, the import panel, coverage.

Thin: every check, match and count is a library call (``geosoc.assets``,
``geosoc.report.asset_coverage``); text from records is shown with ``st.dataframe`` or
escaped, never as HTML.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit as st

from geosoc.assets.capabilities import CAPABILITIES, ENGAGEMENT, PILLARS, verification_status
from geosoc.assets.files import COLUMN_ALIASES
from geosoc.assets.importing import FORMATS, map_columns, plan_import, read_register_file
from geosoc.assets.model import RECORD_COLUMNS
from geosoc.errors import GeosocError
from geosoc.report.asset_coverage import coverage_pivot, site_coverage
from geosoc.ui import state
from geosoc.ui.caching import studies
from geosoc.ui.feedback import show_error
from geosoc.ui.panels.tables import show_table
from geosoc.workspace import Workspace

FORMAT_LABELS = {"csv": "CSV (our own columns, mapped below)",
                 "geojson": "GeoJSON (points)", "osm": "OpenStreetMap-tagged GeoJSON/CSV",
                 "openreferral": "Open Referral UK directory (JSON, or zip of CSV tables)",
                 "charity": "Charity Commission register extract (located by postcode)"}
UPLOAD_SUFFIX = {"csv": ".csv", "geojson": ".geojson", "osm": ".geojson", "charity": ".txt"}
NOT_MAPPED = "(leave out)"


def _split(value: object) -> list[str]:
    text = "" if value is None or (isinstance(value, float) and value != value) else str(value)
    return [v for v in text.split("; ") if v]


def structured_inputs(prefix: str, current: pd.Series | None, *, analyst: bool
                      ) -> dict[str, object]:
    """Draw the capability, 4P, engagement, verified and owner fields; return their values.

    Parameters
    ----------
    prefix : str
        Widget key prefix (one per form and asset).
    current : pandas.Series, optional
        The record being edited (``None`` for a new asset).
    analyst : bool
        Show the analyst-only contact owner field.
    """
    get = (lambda c: current.get(c)) if current is not None else (lambda c: None)
    cols = st.columns(2)
    values: dict[str, object] = {
        "capabilities": "; ".join(cols[0].multiselect(
            "Capabilities", CAPABILITIES, key=f"{prefix}_caps",
            default=[c for c in _split(get("capabilities")) if c in CAPABILITIES])),
        "capabilities_other": cols[1].text_input(
            "Other skills (free text)", value=str(get("capabilities_other") or ""),
            key=f"{prefix}_caps_other"),
        "pillars": "; ".join(cols[0].multiselect(
            "4P pillars it can serve", PILLARS, key=f"{prefix}_pillars",
            default=[p for p in _split(get("pillars")) if p in PILLARS],
            format_func=str.capitalize)),
        "engagement": cols[1].selectbox(
            "Engagement with the CHB site", ENGAGEMENT, key=f"{prefix}_engagement",
            index=ENGAGEMENT.index(get("engagement")) if get("engagement") in ENGAGEMENT
            else 0),
        "last_verified": cols[0].text_input(
            "Last verified (YYYY-MM-DD)", value=str(get("last_verified") or ""),
            key=f"{prefix}_verified"),
    }
    if analyst:
        values["contact_owner"] = cols[1].text_input(
            "Contact owner (analysts only)", value=str(get("contact_owner") or ""),
            key=f"{prefix}_owner")
    return values


def register_table(register: pd.DataFrame, *, analyst: bool) -> pd.DataFrame:
    """Return the register as a table with the verification status (text, never HTML)."""
    columns = ["name", "category", "sector", "capabilities", "capabilities_other", "pillars",
               "engagement", "last_verified", "services", "contact"]
    if analyst:
        columns.append("contact_owner")
    table = pd.DataFrame(register[[c for c in columns if c in register.columns]])
    table.insert(1, "verified", verification_status(
        register["last_verified"].fillna("").astype(str)).to_numpy())
    return table


def _default_target(column: str) -> str:
    key = column.strip().lower().replace(" ", "_").replace("-", "_")
    key = COLUMN_ALIASES.get(key, key)
    return key if key in RECORD_COLUMNS else NOT_MAPPED


def import_panel(user: state.SessionUser, role: str, register: pd.DataFrame,
                 postcodes: pd.DataFrame | None) -> None:
    """Upload a register, map its columns, preview every problem and match, then import."""
    fmt = st.selectbox("What are you importing?", FORMATS, key="imp_format",
                       format_func=FORMAT_LABELS.get)
    upload = st.file_uploader("File", type=["csv", "geojson", "json", "zip", "txt"],
                              key="imp_file")
    if upload is None:
        st.caption("Nothing is written until you press Import, and then all or nothing.")
        return
    suffix = Path(upload.name).suffix.lower() or UPLOAD_SUFFIX.get(fmt, ".csv")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(upload.getvalue())
        try:
            raw = read_register_file(path, format=fmt, postcodes=postcodes)
        except GeosocError as error:
            show_error(error)
            return
    if fmt in ("csv", "geojson"):
        st.markdown("**Column mapping**: which of our fields each of your columns holds.")
        targets = [NOT_MAPPED, *RECORD_COLUMNS]
        sources = [c for c in raw.columns if c not in ("lon", "lat") or fmt == "csv"]
        grid = st.columns(3)
        mapping = {}
        for i, column in enumerate(sources):
            chosen = grid[i % 3].selectbox(str(column), targets, key=f"imp_map_{i}",
                                           index=targets.index(_default_target(str(column))))
            mapping[column] = "" if chosen == NOT_MAPPED else chosen
        raw = map_columns(raw, mapping)
    plan = plan_import(raw, file=upload.name, register=register, postcodes=postcodes)
    for reason, n in plan.skipped.items():
        st.caption(f"Skipped {n}: {reason}.")
    if not plan.ok:
        st.error(f"{len(plan.problems)} problem(s) found; nothing will be imported until "
                 "they are fixed in the file.")
        show_table(pd.DataFrame([p.to_dict() for p in plan.problems]))
        return
    if len(plan.matches):
        st.warning(f"{len(plan.matches)} record(s) are already in the register or repeated "
                   "in the file (same external id, or same name within 50 m).")
        show_table(plan.matches.drop(columns="record"))
    keep = st.checkbox("Import the matched records too", key="imp_keep", value=False)
    chosen = plan.records if keep else plan.new
    show_table(pd.DataFrame(chosen.drop(columns="geometry")).head(200))
    if st.button(f"Import {len(chosen)} assets", key="imp_go", disabled=not len(chosen)):
        try:
            with Workspace.open(studies.workspace_path(user)) as ws:
                added = ws.assets.import_frame(chosen, user=user.username, role=role,
                                               source=upload.name)
        except GeosocError as error:
            show_error(error)
        else:
            st.success(f"Imported {added} assets from {upload.name}.")


def coverage_panel(site: gpd.GeoDataFrame, register: gpd.GeoDataFrame,
                   cells: gpd.GeoDataFrame, bands_m: tuple[float, ...]) -> None:
    """Show assets by sector, capability and pillar in a site and its rings, and gaps.

    Harm per zone is summed from ``cells``, the layer already disclosed for the viewer.
    """
    if site.empty:
        st.info("No CHB site is recorded yet: an analyst saves one on the Sites page.")
        return
    name = st.selectbox("Site", list(site.index), key="cov_site")
    coverage = site_coverage(register, site.geometry.loc[name], site=str(name),
                             harm_layer=cells, bands_m=(0.0, *bands_m))
    show_table(coverage.gaps, index="zone")
    cols = st.columns(3)
    for col, dimension in zip(cols, ("sector", "pillar", "capability"), strict=True):
        col.markdown(f"**By {dimension}**")
        show_table(coverage_pivot(coverage, dimension), index=dimension, target=col)

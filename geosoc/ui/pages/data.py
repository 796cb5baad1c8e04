"""Data: load police.uk files, partner CSVs (with a column mapping), boundaries, postcodes, IMD.

Every file goes through the same :mod:`geosoc.ingest` readers as the CLI. A file with problems
is refused with every problem listed (file, row, column, fix) and nothing is stored; an
accepted file is stored exactly as ``geosoc ingest FILE --workspace W --name N`` stores it
(:func:`geosoc.workspace.dataset_store.store_dataset`: checked (Geo)Parquet beside the workspace,
registered and audited), so datasets stored either way show in the app and in the CLI.
Only analysts store datasets.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from geosoc.disclosure.rules import Role
from geosoc.engine.stored import CUBE_AREA_KINDS, stored_cube_builder
from geosoc.errors import GeosocError
from geosoc.ingest import (
    Ingested,
    PointMapping,
    read_boundaries,
    read_imd,
    read_points,
    read_policeuk,
    read_population,
    read_postcodes,
)
from geosoc.ingest.counts import read_area_counts
from geosoc.ingest.extracts import needs_crime_type
from geosoc.ingest.population import population_gaps
from geosoc.schema import POLICEUK_CRIME_TYPES
from geosoc.ui import state
from geosoc.ui.caching import studies
from geosoc.ui.feedback import show_error, show_problems
from geosoc.ui.panels import sharing
from geosoc.ui.panels.tables import show_table
from geosoc.ui.progress import ProgressBar
from geosoc.workspace import Workspace
from geosoc.workspace.dataset_store import (
    KIND_BY_READER,
    list_datasets,
    load_areas,
    load_table,
    store_dataset,
)

KINDS = {
    "police.uk street CSVs (a .csv or a .zip of monthly folders)": "policeuk",
    "Partner incidents CSV (map its columns)": "points",
    "Partner area counts CSV (area_code, month, category, count)": "counts",
    "Boundaries (GeoJSON, GeoPackage or zipped shapefile)": "boundaries",
    "Postcode centroids (Code-Point Open / ONSPD CSV)": "postcodes",
    "Indices of Deprivation 2019 (LSOA CSV)": "imd",
    "Population (ONS mid-year estimates per LSOA or ward, CSV or .xlsx)": "population",
}
NONE = "(none)"

user = state.current_user()
st.title("Data")
if user is None:
    st.info("Sign in to see the workspace's datasets.")
    st.stop()
try:
    study = studies.current_study()
except GeosocError as not_ready:
    study = None
    st.info("This workspace is not ready for analysis yet. Add the datasets below.")
    show_problems(not_ready)


def report_table(reports: list) -> pd.DataFrame:
    """Tabulate ingest reports: what was read, kept and dropped."""
    return pd.DataFrame([{
        "file": Path(r.source).name, "kind": r.kind, "rows read": r.rows_read,
        "rows kept": r.rows_kept,
        "dropped": "; ".join(f"{n:,} {why}" for why, n in r.dropped.items()),
        "kept and counted": "; ".join(f"{n:,} {why}" for why, n in r.counted.items()),
        "notes": " ".join(r.notes)} for r in reports])


if study is not None:
    st.subheader(f"Loaded: {study.name}")
    if study.demo:
        st.info("Demo mode: the fictional town below was loaded from its files without any "
                "upload, through the same readers as your own data.")
    if study.reports:
        show_table(report_table(list(study.reports)))


def show_datasets(slot: DeltaGenerator) -> None:
    """Show the datasets stored in the user's workspace (by the app or the CLI) in ``slot``."""
    with Workspace.open(studies.workspace_path(user)) as ws:
        listing = list_datasets(ws)
        show_table(listing, {**dict.fromkeys(listing.columns), "name": "Dataset"},
                   target=slot)


st.subheader("Datasets in this workspace")
listing = st.empty()
show_datasets(listing)
if user.role is not Role.ANALYST:
    st.info("Only analysts can store datasets: police data is OFFICIAL-SENSITIVE. Ask an "
            "analyst of your workspace to load it.")
    st.stop()
sharing.register_panel(user)

st.subheader("Add a dataset")
kind_label = st.selectbox("What is it?", list(KINDS), key="data_kind")
kind = KINDS[kind_label]
upload = st.file_uploader("Upload a file", type=["csv", "gz", "bz2", "zip", "geojson",
                                                 "json", "gpkg", "xlsx"],
                          key="data_upload")
server_path = st.text_input("…or point at a file or folder on this server (e.g. a folder of "
                            "police.uk monthly downloads)", key="data_path").strip()
if upload is not None:
    # one temporary folder per browser session, removed when the session ends
    workdir = Path(st.session_state.setdefault(
        "data_tmp", tempfile.TemporaryDirectory(prefix="geosoc-upload-")).name)
    path = workdir / Path(upload.name).name
    path.write_bytes(upload.getvalue())
elif server_path:
    path = Path(server_path).expanduser()
    if not path.exists():
        st.error(f"Nothing found at {server_path}: check the path.")
        st.stop()
else:
    st.stop()
name = st.text_input("Dataset name", value=path.stem, key="data_name", max_chars=60)

options: dict[str, object] = {}
area_kind, source = "ward", ""
crime_type: str | None = None
if kind == "policeuk" and needs_crime_type(path):  # a reduced extract: month, lon, lat
    st.info("This file has no crime type column (a reduced extract). Say which type every "
            "row is; it is given once for the whole file.")
    crime_type = st.selectbox("Crime type of every row", POLICEUK_CRIME_TYPES, index=None,
                              placeholder="Choose the type (nothing is assumed)",
                              key="data_crime_type")
if kind == "points":
    try:
        header = list(pd.read_csv(path, nrows=0, dtype=str).columns)
    except (ValueError, UnicodeDecodeError) as error:
        st.error(f"Cannot read the header of {path.name}: {error}")
        st.stop()
    st.markdown("**Which column holds what?**")
    pick = [NONE, *header]
    c = st.columns(4)
    fields = {
        "date": c[0].selectbox("Date", header, key="map_date"),
        "category": c[1].selectbox("Category", pick, key="map_category"),
        "id": c[2].selectbox("Record id", pick, key="map_id"),
        "postcode": c[3].selectbox("Postcode", pick, key="map_postcode"),
        "lon": c[0].selectbox("Longitude (WGS84)", pick, key="map_lon"),
        "lat": c[1].selectbox("Latitude (WGS84)", pick, key="map_lat"),
        "easting": c[2].selectbox("Easting (BNG)", pick, key="map_easting"),
        "northing": c[3].selectbox("Northing (BNG)", pick, key="map_northing"),
    }
    date_format = st.text_input("Date format, if not ISO or UK day-first (e.g. %d/%m/%Y)",
                                key="map_date_format")
    fixed = st.text_input("…or one category for every row", key="map_fixed")
    source = st.text_input("Source name (e.g. council_asb, fire, health_ae)", key="map_source")
    options = {k: (None if v == NONE else v) for k, v in fields.items()}
    if fixed:
        options["category_value"], options["category"] = fixed, None
    if date_format:
        options["date_format"] = date_format
if kind == "counts":
    source = st.text_input("Source name (e.g. health, housing, youth)", key="counts_source")
if kind == "boundaries":
    area_kind = st.selectbox("Area kind", ["ward", "lsoa", "lad", "postcode_sector", "custom"],
                             key="data_area_kind")


def stored_postcodes() -> pd.DataFrame | None:
    """Return the postcodes partner files are located with: the study's, else the stored ones."""
    if study is not None and study.postcodes is not None:
        return study.postcodes
    with Workspace.open(studies.workspace_path(user)) as ws:
        return load_table(ws, "postcodes", required=False, role=user.role.value)


def read(path: Path) -> Ingested:
    """Read ``path`` with the ingest reader of the chosen kind (raises GeosocError)."""
    if kind == "policeuk":
        return read_policeuk(path, crime_type=crime_type)
    if kind == "points":
        return read_points(path, PointMapping(**options), source=source or "partner",
                           postcodes=stored_postcodes())
    if kind == "boundaries":
        return read_boundaries(path, kind=area_kind)
    if kind == "counts":
        return read_area_counts(path, source=source or "partner")
    if kind == "population":
        return read_population(path)
    return read_postcodes(path) if kind == "postcodes" else read_imd(path)


try:
    sharing_record = sharing.sharing_form()
except GeosocError as incomplete:
    show_error(incomplete)
    st.stop()
replace = st.checkbox("Replace a stored dataset of the same name", key="data_replace")
if st.button("Check and load", type="primary", key="data_load"):
    try:
        with ProgressBar(f"Checking every row of {path.name}…") as bar:
            result = read(path)
            bar(0.7, f"Storing {result.report.rows_kept:,} rows in the workspace…")
            kind = KIND_BY_READER[result.report.kind]
            with Workspace.open(studies.workspace_path(user)) as ws:
                # incidents get their cube stored beside them, located in the stored
                # boundaries, as with `geosoc ingest`
                cube = (stored_cube_builder({k: load_areas(ws, k, required=False)
                                             for k in CUBE_AREA_KINDS})
                        if kind == "incidents" else None)
                record = store_dataset(ws, result, name=name or path.stem, kind=kind,
                                       user=user.username, role=user.role.value,
                                       source=upload.name if upload is not None else str(path),
                                       replace=replace, sharing=sharing_record, cube=cube)
    except GeosocError as error:
        show_error(error)
        st.stop()
    st.success(f"Stored '{record['name']}': {result.report.rows_kept:,} of "
               f"{result.report.rows_read:,} rows of {path.name} accepted.")
    show_table(report_table([result.report]))
    if kind == "population":
        with Workspace.open(studies.workspace_path(user)) as ws:
            gaps = [population_gaps(result.data, areas, level) for level in ("ward", "lsoa")
                    if (areas := load_areas(ws, level, required=False)) is not None]
        for gap in filter(None, gaps):
            st.warning(gap)
    show_datasets(listing)

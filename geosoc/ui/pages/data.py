"""Data: load police.uk files, partner CSVs (with a column mapping), boundaries, postcodes, IMD.

Every file goes through the same :mod:`geosoc.ingest` readers as the CLI. A file with problems
is refused with every problem listed (file, row, column, fix) and nothing is stored; an
accepted file is copied into the workspace and registered with its checksum (audited).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from geosoc.errors import GeosocError
from geosoc.ingest import (
    Ingested,
    PointMapping,
    read_boundaries,
    read_imd,
    read_points,
    read_policeuk,
    read_postcodes,
)
from geosoc.ui import cache, state
from geosoc.ui.feedback import show_error, show_problems
from geosoc.workspace import Workspace

KINDS = {
    "police.uk street CSVs (a .csv or a .zip of monthly folders)": "policeuk",
    "Partner incidents CSV (map its columns)": "points",
    "Boundaries (GeoJSON, GeoPackage or zipped shapefile)": "boundaries",
    "Postcode centroids (Code-Point Open / ONSPD CSV)": "postcodes",
    "Indices of Deprivation 2019 (LSOA CSV)": "imd",
}
NONE = "(none)"

user = state.current_user()
st.title("Data")
try:
    study = cache.current_study()
except GeosocError as not_ready:
    study = None
    st.info("This workspace is not ready for analysis yet. Add the datasets below.")
    show_problems(not_ready)


def report_table(reports: list) -> pd.DataFrame:
    """Tabulate ingest reports: what was read, kept and dropped."""
    return pd.DataFrame([{
        "source": Path(r.source).name, "kind": r.kind, "rows read": r.rows_read,
        "rows kept": r.rows_kept,
        "dropped": "; ".join(f"{n:,} {why}" for why, n in r.dropped.items()),
        "notes": " ".join(r.notes)} for r in reports])


if study is not None:
    st.subheader(f"Loaded: {study.name}")
    if study.demo:
        st.info("Demo mode: the fictional town below was loaded from its files without any "
                "upload, through the same readers as your own data.")
    st.dataframe(report_table(list(study.reports)), hide_index=True, width="stretch")
    for error in study.errors:
        show_error(error)

st.subheader("Add a dataset")
kind_label = st.selectbox("What is it?", list(KINDS), key="data_kind")
kind = KINDS[kind_label]
upload = st.file_uploader("Upload a file", type=["csv", "zip", "geojson", "json", "gpkg"],
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
if kind == "boundaries":
    area_kind = st.selectbox("Area kind", ["ward", "lsoa", "lad", "postcode_sector", "custom"],
                             key="data_area_kind")

if st.button("Check and load", type="primary", key="data_load"):
    try:
        with st.spinner("Checking every row…"):
            if kind == "policeuk":
                result: Ingested = read_policeuk(path)
            elif kind == "points":
                result = read_points(path, PointMapping(**options), source=source or "partner",
                                     postcodes=study.postcodes if study else None)
            elif kind == "boundaries":
                result = read_boundaries(path, kind=area_kind)
            elif kind == "postcodes":
                result = read_postcodes(path)
            else:
                result = read_imd(path)
    except GeosocError as error:
        show_error(error)
        st.stop()
    # what load_workspace_study needs to read the file again the same way
    metadata = {**result.report.to_dict(), "area_kind": area_kind}
    if kind == "points":
        metadata |= {"mapping": options, "source": source or "partner"}
    st.success(f"{path.name}: {result.report.rows_kept:,} of {result.report.rows_read:,} "
               "rows accepted.")
    st.dataframe(report_table([result.report]), hide_index=True, width="stretch")
    if user is not None:
        target = cache.workspace_path(user).parent / "datasets" / (name or path.stem)
        target.mkdir(parents=True, exist_ok=True)
        if path.is_dir():  # a folder (police.uk months) is kept as one zip, read the same way
            stored = Path(shutil.make_archive(str(target / path.name), "zip", path))
        else:
            stored = target / path.name
            shutil.copyfile(path, stored)
        try:
            with Workspace.open(cache.workspace_path(user)) as ws:
                ws.datasets.register(name or path.stem, kind, stored,
                                     rows=result.report.rows_kept, user=user.username,
                                     role=user.role.value, metadata=metadata)
        except GeosocError as error:
            show_error(error)
        else:
            st.success(f"Registered '{name or path.stem}' in the workspace.")

if user is not None:
    with Workspace.open(cache.workspace_path(user)) as ws:
        st.subheader("Datasets in this workspace")
        st.dataframe(ws.datasets.list(), hide_index=True, width="stretch")

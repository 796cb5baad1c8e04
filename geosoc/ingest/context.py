"""Read map context (roads, railways, water, green space) from a GeoPackage or a folder.

What a force or council already holds and can keep on its own server: OS Open Roads
(``road_link``), OS Open Greenspace (``greenspace_site``), OS Open Zoomstack (``roads_*``,
``rail``, ``surfacewater``, ``greenspace``), an OpenStreetMap extract saved per layer, or the
demo town's own layers. Layers are recognised by name; others are skipped with a note. Only
features inside ``bounds`` are read (a bounding-box filter in the file's own CRS), simplified
to 2 m and returned in EPSG:4326, so a national file costs only the study area.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from pyproj import Transformer

from geosoc.errors import InputFileError, Problem
from geosoc.ingest.report import Ingested, IngestReport
from geosoc.ingest.vector import check_vector_file
from geosoc.schema import CRS_METRIC, CRS_STORE

#: Context kinds and the layer names (lower case) that hold them.
LAYER_NAMES: dict[str, tuple[str, ...]] = {
    "roads": ("roads", "road", "road_link", "roadlink", "streets", "roads_local",
              "roads_regional", "roads_national", "highways"),
    "railways": ("railways", "railway", "rail", "railway_track", "railwaytrack"),
    "water": ("water", "surfacewater", "surfacewater_area", "surface_water", "water_area",
              "waterlines", "rivers"),
    "greenspace": ("greenspace", "greenspace_site", "green_space", "parks", "woodland"),
}
_KIND_OF = {name: kind for kind, names in LAYER_NAMES.items() for name in names}
#: Road classes drawn as main roads (matched case-insensitively in a class column).
MAIN_ROAD_PATTERN = r"motorway|a road|b road|primary|trunk|main|national|regional"
_CLASS_COLUMNS = ("class", "road_classification", "roadclassification", "type", "highway",
                  "function")
_NAME_COLUMNS = ("name", "name1", "distname", "distname1", "road_name", "roadname1")
SIMPLIFY_M = 2.0


def _layers(path: Path) -> list[tuple[Path, str | None, str]]:
    """(file, layer or None, name) for every layer of a GeoPackage or a folder of files."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir()
                       if p.suffix.lower() in (".geojson", ".json", ".gpkg"))
        return [entry for f in files for entry in _layers(f)] if files else []
    with warnings.catch_warnings():  # a GeoPackage with several layers is expected here
        warnings.simplefilter("ignore", UserWarning)
        check_vector_file(path)
    if path.suffix.lower() == ".gpkg":
        return [(path, str(name), str(name)) for name, _ in pyogrio.list_layers(path)]
    return [(path, None, path.stem)]


def _classify_roads(frame: gpd.GeoDataFrame) -> pd.Series:
    column = next((c for c in frame.columns if c.lower() in _CLASS_COLUMNS), None)
    if column is None:
        return pd.Series("minor", index=frame.index)
    main = frame[column].astype("string").str.contains(MAIN_ROAD_PATTERN, case=False,
                                                       regex=True).fillna(False)
    return main.map({True: "main", False: "minor"})


def read_context(path: str | Path, *,
                 bounds: tuple[float, float, float, float] | None = None) -> Ingested:
    """Read the context layers of ``path`` inside ``bounds``.

    Parameters
    ----------
    path : str or Path
        A GeoPackage with named layers, or a folder of GeoJSON/GeoPackage files named by layer.
    bounds : tuple of float, optional
        ``(lon_min, lat_min, lon_max, lat_max)`` in EPSG:4326 degrees; only features that
        intersect it are read. ``None`` reads everything.

    Returns
    -------
    Ingested
        ``data``: dict of kind (``roads``, ``railways``, ``water``, ``greenspace``) to a
        GeoDataFrame in EPSG:4326 with ``class`` (roads: ``main``/``minor``) and ``name``.

    Raises
    ------
    InputFileError
        The path is missing, not a vector file, or holds no recognisable layer.
    """
    source = Path(path)
    if not source.exists():
        raise InputFileError("map context file not found", [Problem(
            f"no file or folder at {source}", file=str(source),
            fix="point map.context in the config at a GeoPackage or folder of layers")])
    report = IngestReport(source=str(source), kind="context")
    found: dict[str, list[gpd.GeoDataFrame]] = {}
    for file, layer, name in _layers(source):
        kind = _KIND_OF.get(name.lower())
        if kind is None:
            report.notes.append(f"layer {name!r} skipped (not roads, railways, water or "
                                "green space)")
            continue
        info = pyogrio.read_info(file, layer=layer)
        bbox = None
        if bounds is not None and info.get("crs"):
            to_file = Transformer.from_crs(CRS_STORE, info["crs"], always_xy=True)
            bbox = to_file.transform_bounds(*bounds)
        frame = pyogrio.read_dataframe(file, layer=layer, bbox=bbox)
        report.rows_read += len(frame)
        if frame.crs is None:
            raise InputFileError("a context layer has no CRS", [Problem(
                f"layer {name!r} declares no coordinate reference system", file=str(file),
                fix="save it with its CRS (e.g. EPSG:27700 for OS data)")])
        metric = frame.to_crs(CRS_METRIC)
        metric = metric.set_geometry(metric.geometry.simplify(SIMPLIFY_M))
        name_column = next((c for c in frame.columns if c.lower() in _NAME_COLUMNS), None)
        out = gpd.GeoDataFrame({
            "class": (_classify_roads(frame) if kind == "roads" else kind),
            "name": (frame[name_column].astype("string").fillna("") if name_column
                     else pd.Series("", index=frame.index, dtype="string")),
        }, geometry=metric.geometry.to_crs(CRS_STORE).to_numpy(), crs=CRS_STORE)
        found.setdefault(kind, []).append(out[~out.geometry.is_empty])
    if not found:
        raise InputFileError("no map context layers found", [Problem(
            f"none of the layers of {source} is roads, railways, water or green space",
            file=str(source), fix="name layers e.g. roads, railways, water, greenspace "
                                  "(OS layer names such as road_link are recognised)")])
    data = {kind: gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=CRS_STORE)
            for kind, parts in found.items()}
    report.rows_kept = sum(len(f) for f in data.values())
    return Ingested(data, report)

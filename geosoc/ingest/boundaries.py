"""Read area boundaries (wards, LSOAs, LADs...) into the areas contract.

Inputs: a GeoJSON, a GeoPackage, a zipped ESRI shapefile, or a folder of such files (e.g.
``wards_by_lad/*.json``), merged. Formats are allow-listed by content
(:mod:`geosoc.ingest.vector`). Everything is reprojected to EPSG:4326.

Decisions: invalid polygons (self-intersections, bow-ties) are **repaired** with
``shapely.make_valid`` keeping the polygonal parts, and the report names them; a feature
with no area left after repair is an error. The code and name values are checked
(:mod:`geosoc.ingest.boundary_codes`): swapped fields, names as codes, codes of another area
kind than asked and one code on areas of different names are errors with the fix. Features
sharing code and name are dissolved into one area (noted). Files in one folder must share a
CRS (else :class:`CRSError`). Fields are detected: ONS ``WD22CD``/``WD22NM``,
``LSOA11CD``/``LSOA21CD``..., then ``ward_code``/``ward_name`` (``lsoa_code``...), then
``GSS_CODE``/``AREA_CODE``/``CODE`` and ``NAME``.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geosoc import schema
from geosoc.errors import ConfigError, CRSError, InputFileError, Problem, SchemaError
from geosoc.ingest.archives import local_input
from geosoc.ingest.boundary_codes import check_code_values, shared_codes
from geosoc.ingest.geometry import polygonal_parts
from geosoc.ingest.report import Ingested, IngestReport
from geosoc.ingest.vector import ALLOWED_SUFFIXES, check_vector_file

#: Code-field prefixes preferred for each area kind (ONS ``<PREFIX><yy>CD`` fields).
_KIND_PREFIXES = {
    "ward": ("WD",),
    "lsoa": ("LSOA",),
    "lad": ("LAD", "LTLA", "UTLA"),
}
_GENERIC_CODES = ("GSS_CODE", "AREA_CODE", "CODE", "ONS_CODE", "GEOGRAPHY_CODE")
_GENERIC_NAMES = ("NAME", "AREA_NAME", "GEOGRAPHY_NAME")
#: Plain per-kind field names (``ward_code``/``ward_name``...), matched ignoring case.
_KIND_FIELDS = {"ward": ("WARD",), "lsoa": ("LSOA",), "lad": ("LAD", "LA", "LOCAL_AUTHORITY")}
_ONS_CODE = re.compile(r"^([A-Z]+)\d{2}CD$", re.IGNORECASE)


def _files(root: Path, given: Path) -> list[tuple[Path, str]]:
    """Return (file, display name) pairs to read from a file or folder."""
    if root.is_file():
        return [(root, str(given))]
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in ALLOWED_SUFFIXES)
    zipped = given.is_file()
    return [(p, f"{given}!{p.relative_to(root).as_posix()}" if zipped else str(p))
            for p in files]


def _code_field(fields: list[str], kind: str) -> str | None:
    upper = {f.upper(): f for f in fields}
    ons = [f for f in fields if _ONS_CODE.match(f)]
    preferred = [f for f in ons if _ONS_CODE.match(f).group(1).upper()
                 in _KIND_PREFIXES.get(kind, ())]
    plain = [upper[f"{k}_CODE"] for k in _KIND_FIELDS.get(kind, ()) if f"{k}_CODE" in upper]
    generic = [upper[g] for g in _GENERIC_CODES if g in upper]
    others = [upper[u] for u in upper if u.endswith("_CODE") and upper[u] not in plain]
    return next(iter(preferred + plain + generic + ons + others), None)


def _name_field(fields: list[str], code: str) -> str | None:
    upper = {f.upper(): f for f in fields}
    if _ONS_CODE.match(code):
        candidate = code[:-2] + ("NM" if code[-2:].isupper() else "nm")
        if candidate.upper() in upper:
            return upper[candidate.upper()]
    if code.upper().endswith("_CODE") and code.upper()[:-5] + "_NAME" in upper:
        return upper[code.upper()[:-5] + "_NAME"]
    return next((upper[n] for n in _GENERIC_NAMES if n in upper), None)


def _read_all(files: list[tuple[Path, str]], given: Path, notes: list[str]
              ) -> gpd.GeoDataFrame:
    frames, crss = [], []
    for file, shown in files:
        if check_vector_file(file, shown) == "GPKG":
            layers = pyogrio.list_layers(file)
            if len(layers) > 1:
                notes.append(f"{file.name} holds {len(layers)} layers; read the first, "
                             f"'{layers[0][0]}'")
        frame = gpd.read_file(file, engine="pyogrio", use_arrow=True)
        if frame.crs is None:
            raise CRSError(f"{file.name}: no coordinate reference system", [Problem(
                "the file does not say which CRS its coordinates use (a shapefile without "
                "its .prj?)", file=shown, fix="include the .prj file, or re-export with a CRS")])
        frame["_file"] = shown
        frame["_feature"] = np.arange(1, len(frame) + 1)
        frames.append(frame)
        crss.append((shown, frame.crs))
    first = crss[0][1]
    if any(not crs.equals(first, ignore_axis_order=True) for _, crs in crss):
        raise CRSError(f"{given.name}: files use different CRSs", [Problem(
            f"CRS is {_crs_label(crs)}", file=shown,
            fix="re-export every file in one CRS (EPSG:4326 or EPSG:27700) before merging")
            for shown, crs in crss])
    merged = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return gpd.GeoDataFrame(merged, geometry=frames[0].geometry.name, crs=first)


def _repair(geoms: np.ndarray, frame: pd.DataFrame, report: IngestReport) -> np.ndarray:
    """Return polygonal geometries, repairing invalid ones; raise for unrepairable ones."""
    problems = []
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))
    for mask, what in ((empty, "has no geometry"), (~empty & ~polygonal, "is not a polygon")):
        bad = frame.loc[mask].head(25)
        problems += [Problem(f"feature {int(n)} (code {c}) {what}", file=f, row=int(n),
                             fix="remove the feature or supply polygon boundaries")
                     for f, n, c in zip(bad["_file"], bad["_feature"], bad["_code"], strict=True)]
    invalid = ~empty & polygonal & ~shapely.is_valid(geoms)
    out = geoms.copy()
    if invalid.any():
        rebuilt = polygonal_parts(shapely.make_valid(geoms[invalid]))
        out[np.flatnonzero(invalid)] = rebuilt
        lost = invalid.copy()
        lost[invalid] = shapely.is_missing(rebuilt)
        bad = frame.loc[lost].head(25)
        problems += [Problem(f"feature {int(n)} (code {c}) is an invalid polygon with no area "
                             "left after repair", file=f, row=int(n),
                             fix="redraw or remove the polygon")
                     for f, n, c in zip(bad["_file"], bad["_feature"], bad["_code"], strict=True)]
        codes = ", ".join(frame.loc[invalid & ~lost, "_code"].astype(str).head(10))
        report.note(f"repaired {int((invalid & ~lost).sum())} invalid (e.g. self-intersecting) "
                    f"polygon(s) with shapely.make_valid: {codes}")
    if problems:
        raise SchemaError(f"{len(problems)} unusable boundary feature(s)", problems)
    return out


def read_boundaries(
    path: str | Path, *, kind: str, code_field: str | None = None, name_field: str | None = None
) -> Ingested:
    """Read boundary polygons into the areas contract.

    Parameters
    ----------
    path : str or pathlib.Path
        A GeoJSON, GeoPackage, ``.zip`` holding a shapefile (or GeoJSONs), or a folder of
        such files (merged; they must share a CRS).
    kind : str
        One of ``schema.AREA_KINDS`` (``"ward"``, ``"lsoa"``, ``"lad"``...).
    code_field, name_field : str, optional
        Attribute fields holding the area code and name. When omitted they are detected:
        ONS ``<PREFIX><yy>CD``/``NM`` fields (``WD13CD``, ``LSOA11CD``, ``LAD22CD``...,
        preferring the prefix that matches ``kind``), then ``GSS_CODE``/``NAME``, then any
        other ONS code field.

    Returns
    -------
    Ingested
        ``data``: GeoDataFrame indexed by unique ``area_code`` (str) with ``name`` (str),
        ``kind`` and valid (Multi)Polygon geometry in EPSG:4326.

    Raises
    ------
    InputFileError
        Disallowed or disguised formats, unsafe archives, no boundary files.
    CRSError
        Missing CRS, mixed CRSs in a folder, coordinates outside the UK after reprojection.
    SchemaError
        No code field, blank codes, non-polygon or unrepairable features.
    """
    if kind not in schema.AREA_KINDS:
        raise ConfigError(f"unknown area kind {kind!r}", [Problem(
            f"kind {kind!r} is not one of {', '.join(schema.AREA_KINDS)}",
            fix="pass kind='ward', 'lsoa', 'lad' or another listed kind")])
    given = Path(path)
    report = IngestReport(source=str(path), kind="boundaries")
    with local_input(given) as root:
        files = _files(root, given)
        if not files:
            raise InputFileError(f"no boundary files in {given}", [Problem(
                f"no {', '.join(ALLOWED_SUFFIXES)} files found", file=str(given), fix=
                "point at a GeoJSON, GeoPackage, zipped shapefile, or a folder of them")])
        raw = _read_all(files, given, report.notes)
    report.rows_read = len(raw)
    code, name = _fields(raw, kind, code_field, name_field, given)
    raw["_code"] = raw[code].astype(str).str.strip()
    blank = raw[code].isna().to_numpy() | (raw["_code"] == "").to_numpy()
    if blank.any():
        bad = raw.loc[blank].head(25)
        raise SchemaError(f"{given.name}: blank area codes", [Problem(
            f"feature {int(n)} has no area code", file=f, row=int(n), column=code,
            fix="fill in the code or remove the feature")
            for f, n in zip(bad["_file"], bad["_feature"], strict=True)])
    check_code_values(raw, code, name, kind, str(given), report.notes)
    shared_codes(raw, name, str(given), code)
    geoms = _repair(raw.geometry.to_numpy(), raw, report)
    areas = gpd.GeoDataFrame({
        schema.AREA_CODE: raw["_code"].to_numpy(),
        schema.NAME: raw[name].fillna("").astype(str).to_numpy(),
        schema.KIND: kind,
    }, geometry=_reproject(geoms, raw.crs), crs=schema.CRS_STORE)
    areas = _dissolve_duplicates(areas, report)
    _check_uk(areas, raw, given)
    report.rows_kept = len(areas)
    report.note(f"code field '{code}', name field '{name}', source CRS {_crs_label(raw.crs)}")
    return Ingested(areas.set_index(schema.AREA_CODE), report)


def _fields(raw: gpd.GeoDataFrame, kind: str, code_field: str | None,
            name_field: str | None, given: Path) -> tuple[str, str]:
    """Return the code and name fields (given or detected), or raise SchemaError."""
    fields = [c for c in raw.columns if c not in ("_file", "_feature", raw.geometry.name)]
    code = code_field or _code_field(fields, kind)
    name = name_field or (_name_field(fields, code) if code else None)
    for label, field in (("code", code), ("name", name)):
        if field is None or field not in raw.columns:
            raise SchemaError(f"{given.name}: no area {label} field", [Problem(
                f"could not find the area {label} field"
                + (f" '{field}'" if field else "") + f"; fields are {', '.join(fields)}",
                file=str(given), column=f"--{label}-field",
                fix=f"name it with --{label}-field FIELD, one of the fields above (library: "
                f"{label}_field='FIELD')")])
    return code, name


def _reproject(geoms: np.ndarray, crs: object) -> np.ndarray:
    """Reproject to EPSG:4326, re-repairing any polygon the transformation made invalid."""
    out = gpd.GeoSeries(geoms, crs=crs).to_crs(schema.CRS_STORE).to_numpy()
    invalid = ~shapely.is_valid(out)
    if invalid.any():
        out[invalid] = polygonal_parts(shapely.make_valid(out[invalid]))
    return out


def _crs_label(crs: object) -> str:
    """Short name of a CRS: ``EPSG:27700`` when it has an EPSG code, else its name."""
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name


def _dissolve_duplicates(areas: gpd.GeoDataFrame, report: IngestReport) -> gpd.GeoDataFrame:
    dup = areas[schema.AREA_CODE].duplicated(keep=False).to_numpy()
    if not dup.any():
        return areas
    merged = areas.loc[dup].dissolve(by=schema.AREA_CODE, aggfunc="first", as_index=False)
    report.note(f"{int(dup.sum())} features shared {len(merged)} area code(s) and were "
                "dissolved into one area each")
    out = pd.concat([areas.loc[~dup], merged[areas.columns]], ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=schema.CRS_STORE)


def _check_uk(areas: gpd.GeoDataFrame, raw: pd.DataFrame, given: Path) -> None:
    """Raise CRSError when areas fall outside the UK (coordinates not in the stated CRS)."""
    x0, y0, x1, y1 = schema.UK_BOUNDS_LONLAT
    b = areas.geometry.bounds
    outside = ~((b.minx >= x0) & (b.maxx <= x1) & (b.miny >= y0) & (b.maxy <= y1))
    if outside.any():
        raise CRSError(f"{given.name}: boundaries fall outside the UK", [Problem(
            f"area {c} spans lon {r.minx:.2f}..{r.maxx:.2f}, lat {r.miny:.2f}..{r.maxy:.2f}",
            file=str(given), fix=f"check the file's CRS ({_crs_label(raw.crs)}) is the one its "
            "coordinates are really in (metres in a degrees CRS or the reverse)")
            for c, r in zip(areas.loc[outside, schema.AREA_CODE].head(10),
                            b[outside].head(10).itertuples(), strict=True)])

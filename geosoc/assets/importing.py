"""Plan an asset import: read, map columns, validate, list problems and duplicates.

Any supported register is read, a partner's column mapping applied, the records validated,
and every problem and every duplicate listed before anything is written.

The app shows an :class:`ImportPlan` as a preview; the CLI prints it; only a plan with no
problems is written, in one transaction, by
:meth:`geosoc.workspace.asset_register.AssetRegister.import_frame`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geosoc.assets.dedupe import MATCH_DISTANCE_M, drop_duplicates, find_duplicates
from geosoc.assets.files import read_raw_assets, validate_assets
from geosoc.assets.registers import read_charity_register, read_open_referral
from geosoc.errors import GeosocError, InputFileError, Problem

#: Import formats: partner files and the public registers.
FORMATS = ("csv", "geojson", "osm", "openreferral", "charity")


@dataclass
class ImportPlan:
    """What an import would do.

    Attributes
    ----------
    records : geopandas.GeoDataFrame or None
        Every validated record (EPSG:4326), or None when there are problems.
    problems : list of Problem
        Every problem found, each with its file, row and column.
    matches : pandas.DataFrame
        Records already in the register or repeated in the file
        (:data:`geosoc.assets.dedupe.MATCH_COLUMNS`).
    new : geopandas.GeoDataFrame or None
        ``records`` without the matched ones: what importing adds.
    skipped : dict
        Source rows left out on purpose (reason -> count), e.g. charities outside the area.
    """

    records: gpd.GeoDataFrame | None
    problems: list[Problem]
    matches: pd.DataFrame
    new: gpd.GeoDataFrame | None
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when nothing stops the import."""
        return not self.problems


def map_columns(frame: pd.DataFrame, mapping: Mapping[str, str]) -> pd.DataFrame:
    """Rename a partner's columns to record columns (``{"Group name": "name", ...}``).

    Columns mapped to ``""`` are dropped; unmapped columns keep their names (and are
    recognised by their usual spellings). ``attrs`` are kept.
    """
    dropped = [c for c, target in mapping.items() if not target and c in frame.columns]
    out = frame.drop(columns=dropped).rename(columns={c: t for c, t in mapping.items() if t})
    out.attrs = dict(frame.attrs)
    return out


def read_register_file(path: str | Path, *, format: str, postcodes: pd.DataFrame | None = None,
                       classifications: str | Path | None = None) -> pd.DataFrame:
    """Read any supported file as raw records with ``attrs["row_numbers"]``.

    Parameters
    ----------
    path : str or Path
        The file (a folder or zip for Open Referral UK CSV tables).
    format : str
        One of :data:`FORMATS`.
    postcodes : pandas.DataFrame, optional
        Postcode centroids; required for ``charity`` (the study area's postcodes).
    classifications : str or Path, optional
        Charity Commission classification file (``charity`` only).
    """
    if format not in FORMATS:
        raise InputFileError("unknown import format", [Problem(
            f"format '{format}' is not supported", file=str(path),
            fix=f"use one of: {', '.join(FORMATS)}")])
    if format == "openreferral":
        return read_open_referral(path)
    if format == "charity":
        if postcodes is None:
            raise InputFileError("the charity register needs postcodes", [Problem(
                "no postcode lookup to locate charities by their contact postcode",
                file=str(path), fix="store postcodes in the workspace first (geosoc ingest "
                "FILE --kind postcodes) or pass --postcodes")])
        return read_charity_register(path, postcodes=postcodes,
                                     classifications=classifications)
    return read_raw_assets(path, format=format)


def plan_import(raw: pd.DataFrame, *, file: str, register: pd.DataFrame | None = None,
                postcodes: pd.DataFrame | None = None,
                distance_m: float = MATCH_DISTANCE_M) -> ImportPlan:
    """Validate raw records and find duplicates, collecting every problem.

    Parameters
    ----------
    raw : pandas.DataFrame
        Raw records (from :func:`read_register_file`, after :func:`map_columns`).
    file : str
        Source name for problems.
    register : pandas.DataFrame, optional
        The current register, to find records already in it.
    postcodes : pandas.DataFrame, optional
        Postcode centroids for records given only a postcode.
    distance_m : float
        Same-name records closer than this (metres, EPSG:27700) are duplicates.

    Returns
    -------
    ImportPlan
    """
    rows = raw.attrs.get("row_numbers")
    rows = np.arange(len(raw)) + 2 if rows is None else np.asarray(rows)
    skipped = dict(raw.attrs.get("skipped", {}))
    try:
        records = validate_assets(raw, file=file, postcodes=postcodes, row_numbers=rows)
    except GeosocError as error:
        return ImportPlan(None, list(error.problems), find_duplicates(
            pd.DataFrame(), pd.DataFrame()), None, skipped)
    matches = find_duplicates(records, register if register is not None else pd.DataFrame(),
                              distance_m=distance_m, rows=rows)
    new = drop_duplicates(records, matches)
    return ImportPlan(records, [], matches, gpd.GeoDataFrame(new, crs=records.crs), skipped)

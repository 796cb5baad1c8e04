"""Small synthetic files in the layouts a force really has (used by the first-run tests).

A 2 km x 2 km patch of a fictional town near (430000, 433000) British National Grid, four
1 km square wards, and in that patch: a standard police.uk download (month folders of
``*-street.csv``), a reduced ASB extract (tab-separated, lower-case own column names), wards
as an EPSG:27700 GeoPackage with arbitrary column names, the same wards as a WD13-era GeoJSON,
Code-Point Open CSVs without a header row, an ONS-style population workbook (``.xlsx`` with a
cover sheet and title rows), an IMD CSV and a partner fire file in eastings/northings.
Everything is fictional and deterministic (``seed``).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer
from shapely.geometry import box

E0, N0 = 430_000.0, 433_000.0
MONTHS = ("2025-04", "2025-05", "2025-06")
CRIME_TYPES = ("Violence and sexual offences", "Burglary", "Anti-social behaviour",
               "Shoplifting", "Robbery", "Vehicle crime")
POLICE_HEADER = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
                 "Location", "LSOA code", "LSOA name", "Crime type", "Last outcome category",
                 "Context"]
WARD_CODES = ("E05900001", "E05900002", "E05900003", "E05900004")
WARD_NAMES = ("Alder", "Birch", "Cedar", "Damson")
_TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def ward_squares(offset_m: float = 0.0) -> gpd.GeoDataFrame:
    """Four 1 km square wards (EPSG:27700), 2 x 2, starting at (E0, N0)."""
    boxes = [box(E0 + i * 1000 + offset_m, N0 + j * 1000, E0 + (i + 1) * 1000 + offset_m,
                 N0 + (j + 1) * 1000) for j in range(2) for i in range(2)]
    return gpd.GeoDataFrame({"code": WARD_CODES, "name": WARD_NAMES}, geometry=boxes,
                            crs="EPSG:27700")


def ward_grid(n: int = 4, size_m: float = 500.0, *, east_m: float = 0.0,
              prefix: str = "E059") -> gpd.GeoDataFrame:
    """``n`` x ``n`` square wards of ``size_m`` (EPSG:4326), from (E0 + east_m, N0)."""
    boxes = [box(E0 + east_m + i * size_m, N0 + j * size_m, E0 + east_m + (i + 1) * size_m,
                 N0 + (j + 1) * size_m) for j in range(n) for i in range(n)]
    codes = [f"{prefix}{k:05d}" for k in range(1, n * n + 1)]
    frame = gpd.GeoDataFrame({"area_code": codes, "name": [f"Ward {c[-3:]}" for c in codes],
                              "kind": "ward"}, geometry=boxes, crs="EPSG:27700")
    return frame.to_crs("EPSG:4326").set_index("area_code")


def points_bng(n: int, seed: int, *, width: float = 2000.0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points in the patch, clustered in the first ward (a hot spot)."""
    rng = np.random.default_rng(seed)
    hot = rng.random(n) < 0.4
    x = np.where(hot, E0 + rng.uniform(100, 600, n), E0 + rng.uniform(10, width - 10, n))
    y = np.where(hot, N0 + rng.uniform(100, 600, n), N0 + rng.uniform(10, 1990, n))
    return x, y


def police_rows(n: int, seed: int, *, width: float = 2000.0) -> pd.DataFrame:
    """Police.uk street rows (standard columns), WGS84 degrees, across :data:`MONTHS`."""
    rng = np.random.default_rng(seed)
    x, y = points_bng(n, seed, width=width)
    lon, lat = _TO_WGS84.transform(x, y)
    types = rng.choice(CRIME_TYPES, n)
    ids = [f"{seed:02d}{i:06d}abc" if t != "Anti-social behaviour" else ""
           for i, t in enumerate(types)]
    return pd.DataFrame({
        "Crime ID": ids, "Month": rng.choice(MONTHS, n),
        "Reported by": "Northtown Police", "Falls within": "Northtown Police",
        "Longitude": np.round(lon, 6), "Latitude": np.round(lat, 6),
        "Location": "On or near High Street", "LSOA code": "E01900001",
        "LSOA name": "Northtown 001A", "Crime type": types,
        "Last outcome category": "Under investigation", "Context": "",
    })[POLICE_HEADER]


def write_police_download(folder: Path, n: int = 400, *, width: float = 2000.0,
                          blanks: int = 5) -> Path:
    """A police.uk download: ``folder/YYYY-MM/YYYY-MM-northtown-street.csv`` per month."""
    rows = police_rows(n, seed=1, width=width)
    rows[["Longitude", "Latitude"]] = rows[["Longitude", "Latitude"]].astype(object)
    rows.loc[rows.index[:blanks], ["Longitude", "Latitude"]] = ""  # "No location" rows
    for month, part in rows.groupby("Month"):
        path = folder / month / f"{month}-northtown-street.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        part.to_csv(path, index=False)
    return folder


def write_reduced_extract(path: Path, n: int = 150) -> Path:
    """A reduced ASB extract: tab-separated, lower-case own column names, lower-case type."""
    rows = police_rows(n, seed=2)
    out = pd.DataFrame({"date": rows["Month"], "long": rows["Longitude"],
                        "lat": rows["Latitude"], "offence": "anti-social behaviour",
                        "lsoa": rows["LSOA code"]})
    out.to_csv(path, sep="\t", index=False)
    return path


def write_multi_year_download(folder: Path, n_per_month: int = 15, *, years: int = 3,
                              repeated: int = 4) -> Path:
    """A published multi-year police.uk download, as data.police.uk ships it.

    ``years`` x 12 month folders (2023-01 onwards) of ``*-street.csv``; ``repeated`` Crime
    IDs of the first month are listed again in later months (one of them in five months), as
    real downloads do.
    """
    months = [f"{2023 + m // 12}-{m % 12 + 1:02d}" for m in range(12 * years)]
    first_ids: list[str] = []
    for number, month in enumerate(months):
        rows = police_rows(n_per_month, seed=10 + number)
        rows["Month"] = month
        rows["Crime ID"] = [f"{month}-{i:04d}" if t != "Anti-social behaviour" else ""
                            for i, t in enumerate(rows["Crime type"])]
        if number == 0:
            first_ids = [i for i in rows["Crime ID"] if i][:repeated]
        elif first_ids and number in (1, 2, 5, 9, 20):  # one id listed in five months
            take = first_ids if number == 1 else first_ids[:1]
            spot = rows.index[rows["Crime ID"] != ""][:len(take)]
            rows.loc[spot, "Crime ID"] = take[:len(spot)]
        path = folder / month / f"{month}-northtown-street.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        rows.to_csv(path, index=False)
    return folder


def write_gzip_month(path: Path, n: int = 120) -> Path:
    """One month of police.uk street crime, gzip-compressed (``*.csv.gz``)."""
    import gzip

    rows = police_rows(n, seed=5)
    path.write_bytes(gzip.compress(rows.to_csv(index=False).encode("utf-8")))
    return path


def write_points_extract(path: Path, n: int = 200) -> Path:
    """A reduced extract of one crime type: month, longitude, latitude, location, LSOA code."""
    rows = police_rows(n, seed=6)
    rows[["Month", "Longitude", "Latitude", "Location", "LSOA code"]].rename(
        columns={"Month": "month", "Longitude": "longitude", "Latitude": "latitude",
                 "Location": "location", "LSOA code": "lsoa_code"}).to_csv(path, index=False)
    return path


def write_wards_gpkg(path: Path) -> Path:
    """Wards in EPSG:27700 with arbitrary column names (``ward_ref``, ``ward_label``)."""
    wards = ward_squares().rename(columns={"code": "ward_ref", "name": "ward_label"})
    wards.to_file(path, driver="GPKG", layer="wards")
    return path


def write_ward_gpkg_plain(path: Path, offset_m: float = 0.0) -> Path:
    """Wards as a GeoPackage with the plain names ``ward_code``/``ward_name`` (EPSG:27700)."""
    wards = ward_squares(offset_m).rename(columns={"code": "ward_code", "name": "ward_name"})
    wards.to_file(path, driver="GPKG", layer="wards")
    return path


def write_wd13_geojson(path: Path) -> Path:
    """The same wards as a 2013-era GeoJSON (``WD13CD``, ``WD13NM``, EPSG:4326)."""
    wards = ward_squares().rename(columns={"code": "WD13CD", "name": "WD13NM"})
    wards.to_crs("EPSG:4326").to_file(path, driver="GeoJSON")
    return path


def write_codepoint(folder: Path, n: int = 40) -> Path:
    """Code-Point Open: header-less CSVs of 10 columns, one per postcode area."""
    folder.mkdir(parents=True, exist_ok=True)
    x, y = points_bng(n, seed=3)
    codes = [f"NT{1 + i // 10} {1 + i % 9}A{'BDEFGHJLN'[i % 9]}" for i in range(n)]
    frame = pd.DataFrame({"pc": codes, "q": 10, "e": x.round().astype(int),
                          "n": y.round().astype(int), "c": "E92000001", "r": "E19000003",
                          "h": "E18000003", "ac": "", "ad": "E08000035",
                          "aw": "E05900001"})
    frame.to_csv(folder / "nt.csv", header=False, index=False)
    return folder


def write_population_xlsx(path: Path) -> Path:
    """An ONS-style population workbook: cover sheet, then title rows above the header."""
    from openpyxl import Workbook

    book = Workbook()
    cover = book.active
    cover.title = "Cover sheet"
    cover.append(["Lower layer Super Output Area population estimates"])
    cover.append(["Source: fictional, for tests"])
    data = book.create_sheet("Mid-2022 LSOA 2021")
    data.append(["Mid-2022 population estimates for LSOAs in England and Wales"])
    data.append(["This worksheet contains one table."])
    data.append([])
    data.append(["LAD 2021 Code", "LAD 2021 Name", "LSOA 2021 Code", "LSOA 2021 Name",
                 "Total", "F0", "F1"])
    for i in range(1, 4):
        data.append(["E08000035", "Northtown", f"E0190000{i}", f"Northtown 00{i}A",
                     1500 + i, 10, 12])
    book.save(path)
    return path


def write_ward_population_xlsx(path: Path, codes: tuple[str, ...] = WARD_CODES[:3]) -> Path:
    """An ONS ward population workbook in common column names (``gss_code, ward,
    population``) below a cover sheet and title rows; by default one ward is missing."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Cover"
    book.active.append(["Ward-level population estimates (fictional, for tests)"])
    data = book.create_sheet("Mid-2022 Ward 2022")
    data.append(["Mid-2022 population estimates for wards"])
    data.append([])
    data.append(["gss_code", "ward", "population"])
    for i, code in enumerate(codes):
        data.append([code, WARD_NAMES[WARD_CODES.index(code)], 4000 + 10 * i])
    book.save(path)
    return path


def write_imd(path: Path) -> Path:
    """IMD 2019 in plain contract columns for the three LSOAs."""
    pd.DataFrame({"lsoa_code": [f"E0190000{i}" for i in range(1, 4)],
                  "imd_score": [41.2, 30.5, 12.0], "imd_rank": [900, 5000, 20000],
                  "imd_decile": [1, 2, 7]}).to_csv(path, index=False)
    return path


def write_fires_bng(path: Path, n: int = 30, *, swap: bool = False) -> Path:
    """A partner fire file with British National Grid ``x``/``y`` (swapped on request)."""
    x, y = points_bng(n, seed=4)
    if swap:
        x, y = y, x
    rng = np.random.default_rng(4)
    pd.DataFrame({"ref": [f"F{i}" for i in range(n)], "x": x.round(), "y": y.round(),
                  "date": rng.choice(["2025-04-03", "2025-05-12", "2025-06-20"], n)}
                 ).to_csv(path, index=False)
    return path


def write_all(root: Path) -> Path:
    """Write every layout into ``root`` (the README's file names); return ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    write_police_download(root / "police-download")
    write_reduced_extract(root / "asb_extract.tsv")
    write_wards_gpkg(root / "wards_27700.gpkg")
    write_wd13_geojson(root / "wards_2013.geojson")
    write_codepoint(root / "codepo")
    write_population_xlsx(root / "lsoa_population_2022.xlsx")
    write_imd(root / "imd2019.csv")
    write_fires_bng(root / "fires.csv")
    write_multi_year_download(root / "police-2023-2025")
    write_gzip_month(root / "2025-q2-northtown-street.csv.gz")
    write_points_extract(root / "asb_points_2025.csv")
    write_ward_population_xlsx(root / "ward_population_2022.xlsx")
    return root

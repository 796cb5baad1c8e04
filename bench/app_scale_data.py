"""Synthetic police.uk points over the 654 London wards, and a workspace holding them.

Used by ``bench/bench_app_scale.py`` (and runnable on its own to keep a workspace for manual
checks): ``python bench/app_scale_data.py --rows 1000000 --out /tmp/appscale``.

The points follow a mixture of about 400 Gaussian hot spots (sd 150-900 m, heavy-tailed
weights) over a uniform background inside the wards, 36 months (2023-01 .. 2025-12) with a
seasonal swing, police.uk crime types in roughly the Met's proportions, 3% of rows without
a location. Written as monthly ``YYYY-MM/YYYY-MM-synthetic-street.csv`` files exactly as
police.uk ships them, then stored with ``geosoc ingest --workspace`` like an analyst would.
Nothing here is committed: the output folder is the caller's (a temporary one by default).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from geosoc import schema

ROOT = Path(__file__).resolve().parents[1]
WARDS = ROOT.parent / "shared" / "data" / "city-of-london" / "boundaries" / "london_wards.zip"
MONTHS = [str(p) for p in pd.period_range("2023-01", "2025-12", freq="M")]
#: Rough shares of police.uk crime types in London (ASB and violence dominate).
TYPE_SHARES = {
    "Anti-social behaviour": 0.16, "Bicycle theft": 0.02, "Burglary": 0.06,
    "Criminal damage and arson": 0.06, "Drugs": 0.04, "Other crime": 0.01,
    "Other theft": 0.12, "Possession of weapons": 0.01, "Public order": 0.06,
    "Robbery": 0.03, "Shoplifting": 0.06, "Theft from the person": 0.05,
    "Vehicle crime": 0.09, "Violence and sexual offences": 0.23,
}
PASSWORD = "correct horse battery staple"


def london_wards() -> gpd.GeoDataFrame:
    """Return the 654 London wards (EPSG:27700) from /work/shared/data."""
    if not WARDS.is_file():
        raise SystemExit(f"London wards not found at {WARDS} (see shared/data/README.md)")
    return gpd.read_file(f"zip://{WARDS}", engine="pyogrio").to_crs(27700)


def sample_points(wards: gpd.GeoDataFrame, rows: int, seed: int) -> tuple[np.ndarray, ...]:
    """Return ``rows`` (easting, northing) inside the wards, metres (EPSG:27700)."""
    import shapely

    rng = np.random.default_rng(seed)
    union = shapely.union_all(wards.geometry.to_numpy())
    shapely.prepare(union)
    x0, y0, x1, y1 = union.bounds
    n_spots = 400
    inside_spots = []
    while len(inside_spots) < n_spots:  # hot-spot centres inside London
        cand = np.column_stack([rng.uniform(x0, x1, 4 * n_spots), rng.uniform(y0, y1, 4 * n_spots)])
        ok = shapely.contains_xy(union, cand[:, 0], cand[:, 1])
        inside_spots.extend(cand[ok].tolist())
    centres = np.asarray(inside_spots[:n_spots])
    weights = rng.pareto(1.3, n_spots) + 0.2
    weights /= weights.sum()
    sd = rng.uniform(150, 900, n_spots)
    xs, ys = [], []
    need = rows
    while need > 0:
        batch = int(need * 1.35) + 1000
        background = rng.random(batch) < 0.3
        spot = rng.choice(n_spots, batch, p=weights)
        x = np.where(background, rng.uniform(x0, x1, batch),
                     centres[spot, 0] + rng.normal(0, 1, batch) * sd[spot])
        y = np.where(background, rng.uniform(y0, y1, batch),
                     centres[spot, 1] + rng.normal(0, 1, batch) * sd[spot])
        ok = shapely.contains_xy(union, x, y)
        xs.append(x[ok][:need])
        ys.append(y[ok][:need])
        need -= len(xs[-1])
    return np.concatenate(xs), np.concatenate(ys)


def write_policeuk(folder: Path, rows: int, seed: int = 0) -> Path:
    """Write ``rows`` synthetic police.uk rows as monthly CSV files under ``folder``."""
    rng = np.random.default_rng(seed)
    x, y = sample_points(london_wards(), rows, seed)
    lon, lat = pyproj.Transformer.from_crs(27700, 4326, always_xy=True).transform(x, y)
    season = 1 + 0.15 * np.sin(np.arange(len(MONTHS)) / 12 * 2 * np.pi)
    month = rng.choice(len(MONTHS), rows, p=season / season.sum())
    types = np.asarray(list(TYPE_SHARES))
    shares = np.asarray(list(TYPE_SHARES.values()))
    crime_type = types[rng.choice(len(types), rows, p=shares / shares.sum())]
    assert set(crime_type) <= set(schema.POLICEUK_CRIME_TYPES)
    asb = crime_type == "Anti-social behaviour"
    ids = pd.Series(rng.integers(0, 2**63, rows, dtype=np.int64)).map("{:064x}".format)
    lon_s = pd.Series(np.round(lon, 6)).astype(str)
    lat_s = pd.Series(np.round(lat, 6)).astype(str)
    missing = rng.random(rows) < 0.03
    lon_s[missing], lat_s[missing] = "", ""
    frame = pd.DataFrame({
        "Crime ID": ids.where(~asb, ""), "Month": np.asarray(MONTHS)[month],
        "Reported by": "Metropolitan Police Service",
        "Falls within": "Metropolitan Police Service",
        "Longitude": lon_s, "Latitude": lat_s, "Location": "On or near High Street",
        "LSOA code": "E01000001", "LSOA name": "City of London 001A",
        "Crime type": crime_type, "Last outcome category": "Under investigation",
        "Context": "",
    })
    for name, part in frame.groupby("Month", sort=True):
        target = folder / name / f"{name}-synthetic-street.csv"
        target.parent.mkdir(parents=True, exist_ok=True)
        part.to_csv(target, index=False)
    return folder


def geosoc(*args: str) -> float:
    """Run the geosoc CLI in a subprocess; return its wall time in seconds."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "geosoc", *args], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def build_workspace(out: Path, rows: int, seed: int = 0) -> dict[str, float | Path]:
    """Write the CSVs and a workspace (analyst ``ana``, wards, police points, a site).

    Returns
    -------
    dict
        ``workspace`` path and seconds for ``csv`` writing, ``ingest_wards`` and
        ``ingest_police`` (the CLI, as an analyst runs it).
    """
    from geosoc.workspace import Workspace

    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float | Path] = {}
    start = time.perf_counter()
    police = write_policeuk(out / "police", rows, seed)
    timings["csv"] = time.perf_counter() - start
    workspace = out / "force.sqlite"
    with Workspace.open(workspace) as ws:
        ws.users.create_user("ana", PASSWORD, "analyst")
    env_user = ["--user", "ana"]
    timings["ingest_wards"] = geosoc("ingest", str(WARDS), "--kind", "boundaries",
                                     "--area-kind", "ward", "--workspace", str(workspace),
                                     "--name", "wards", *env_user)
    timings["ingest_police"] = geosoc("ingest", str(police), "--kind", "policeuk",
                                      "--workspace", str(workspace), "--name", "police",
                                      *env_user)
    add_site(workspace)
    timings["workspace"] = workspace
    return timings


def add_site(workspace: Path) -> None:
    """Save a CHB site (a 600 m square in a busy ward) with a Clear and an open Hold."""
    import shapely

    from geosoc.workspace import Workspace

    centre = pyproj.Transformer.from_crs(4326, 27700, always_xy=True).transform(-0.1, 51.515)
    square = shapely.box(centre[0] - 300, centre[1] - 300, centre[0] + 300, centre[1] + 300)
    site = gpd.GeoSeries([square], crs=27700).to_crs(4326).iloc[0]
    with Workspace.open(workspace) as ws:
        ws.sites.add("Holborn CHB", site, reason="bench", chosen_by="ana",
                     chosen_on="2024-06-01", user="ana", role="analyst")
        ws.sites.set_phases("Holborn CHB", [("clear", "2024-07", "2024-09"),
                                            ("hold", "2024-10", None)],
                            user="ana", role="analyst")


def main() -> None:
    """Build a workspace and print where it is and how long each step took."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for key, value in build_workspace(args.out, args.rows, args.seed).items():
        print(f"{key}: {value if isinstance(value, Path) else f'{value:.1f} s'}")


if __name__ == "__main__":
    main()

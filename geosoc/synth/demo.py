"""The demo town, ready to use: generate it once, then load it through the real readers.

``ensure_demo()`` generates the fictional town "Demoford" into ``data/demo/`` (git-ignored)
when it is missing or was made by another generator version or seed; ``load_demo()`` reads
every file back with :mod:`geosoc.ingest`, exactly as a user's files would be read, so the
demo exercises the same code paths as real data.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from geosoc.assets.files import read_assets
from geosoc.errors import InputFileError
from geosoc.ingest import (
    Ingested,
    IngestReport,
    PointMapping,
    build_postcode_areas,
    read_boundaries,
    read_imd,
    read_points,
    read_policeuk,
    read_postcodes,
)
from geosoc.ingest.counts import read_area_counts
from geosoc.ingest.files import read_csv_checked
from geosoc.operations import validate_activities, validate_morile, validate_waves
from geosoc.schema import CRS_STORE
from geosoc.synth import DEFAULT_SEED, GENERATOR_VERSION, DemoManifest, generate_demo_town
from geosoc.synth import writer as files
from geosoc.synth.partner_counts import COUNT_FILES


def _default_demo_dir() -> Path:
    """Return where the demo lives.

    ``$GEOSOC_DEMO_DIR`` when set, else ``data/demo`` in a source checkout, else
    ``~/.geosoc/demo`` (an installed package has no repository beside it).
    """
    if os.environ.get("GEOSOC_DEMO_DIR"):
        return Path(os.environ["GEOSOC_DEMO_DIR"])
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file() and (checkout / "data").is_dir():
        return checkout / "data" / "demo"
    return Path.home() / ".geosoc" / "demo"


#: Where the demo lives by default (see :func:`_default_demo_dir`).
DEFAULT_DEMO_DIR = _default_demo_dir()

#: How each partner file maps onto the incidents contract.
PARTNER_MAPPINGS = MappingProxyType({
    "council_asb": PointMapping(
        date="Date reported", date_format="%d/%m/%Y", id="Reference", category="ASB type",
        easting="Easting", northing="Northing",
    ),
    "fire": PointMapping(
        date="date", date_format="%Y-%m-%d", id="incident_id", category="incident_type",
        lon="lng", lat="lat",
    ),
    "health_ae": PointMapping(
        date="month", date_format="%Y-%m", category="attendance_type", postcode="postcode",
    ),
})


@dataclass(frozen=True)
class DemoSite:
    """The demo CHB site.

    Attributes
    ----------
    name : str
        Display name.
    ward_code : str
        The ward the site covers.
    geometry : shapely.Polygon
        Site outline, EPSG:4326.
    phases : dict
        Phase name (``baseline``, ``clear``, ``hold``, ``build``) -> ``(first, last)``
        inclusive monthly Periods.
    """

    name: str
    ward_code: str
    geometry: shapely.Polygon
    phases: dict[str, tuple[pd.Period, pd.Period]]

    def plan_frame(self) -> pd.DataFrame:
        """Return the phases as a plan table (``phase``, ``start_month``, ``end_month``).

        In time order, the shape :func:`geosoc.workspace.sites.plan_phases` returns.
        """
        order = sorted(self.phases.items(), key=lambda item: item[1][0])
        return pd.DataFrame({
            "phase": [p for p, _ in order],
            "start_month": pd.PeriodIndex([s for _, (s, _e) in order], freq="M"),
            "end_month": pd.PeriodIndex([e for _, (_s, e) in order], freq="M"),
        })


@dataclass(frozen=True)
class DemoOperations:
    """The demo site's running record, read through the operations validators.

    Attributes
    ----------
    activities : pandas.DataFrame
        4P activity log (:func:`geosoc.operations.validate_activities`).
    morile : pandas.DataFrame
        MoRiLE series (:func:`geosoc.operations.validate_morile`).
    waves : pandas.DataFrame
        Perception survey aggregates (:func:`geosoc.operations.validate_waves`).
    """

    activities: pd.DataFrame
    morile: pd.DataFrame
    waves: pd.DataFrame


def _last_day(manifest: DemoManifest) -> date:
    return pd.Period(manifest.months[1], freq="M").to_timestamp(how="end").date()


def read_demo_operations(directory: str | Path | None = None) -> DemoOperations:
    """Read only the demo site's operations record (fast: three small files and the manifest).

    Parameters
    ----------
    directory : str or Path, optional
        Demo folder (generated if missing); defaults to :data:`DEFAULT_DEMO_DIR`.
    """
    root = ensure_demo(directory)
    manifest = DemoManifest.read(root)
    phases = {phase: (pd.Period(first, freq="M"), pd.Period(last, freq="M"))
              for phase, (first, last) in manifest.site["phases"].items()}
    site = DemoSite(name=manifest.site["name"], ward_code=manifest.site["ward_code"],
                    geometry=shapely.from_wkt(manifest.site["geometry_wkt"]), phases=phases)
    return _read_operations(root, site, _last_day(manifest))


def _read_operations(root: Path, site: DemoSite, as_of: date) -> DemoOperations:
    plan = site.plan_frame()
    paths = {key: root / name for key, name in files.OPERATIONS_FILES.items()}
    return DemoOperations(
        activities=validate_activities(read_csv_checked(paths["activities"]), today=as_of,
                                       plan=plan, file=str(paths["activities"])),
        morile=validate_morile(read_csv_checked(paths["morile"]), today=as_of,
                               file=str(paths["morile"])),
        waves=validate_waves(read_csv_checked(paths["perception"]),
                             file=str(paths["perception"])),
    )


@dataclass(frozen=True)
class DemoTown:
    """The demo town read through :mod:`geosoc.ingest`.

    Attributes
    ----------
    incidents : geopandas.GeoDataFrame
        Police and partner incidents (incidents contract, RangeIndex, EPSG:4326).
    wards, lsoas, postcode_sectors : geopandas.GeoDataFrame
        Areas contract frames (index ``area_code``), EPSG:4326.
    postcodes : pandas.DataFrame
        Postcodes contract frame.
    imd : pandas.DataFrame
        IMD contract frame (index ``lsoa_code``, with ``population``).
    assets : geopandas.GeoDataFrame
        Community asset register read with :func:`geosoc.assets.files.read_assets` (``name``,
        ``category``, ``sector``, ``status``...), Points EPSG:4326.
    site : DemoSite
        The CHB site and its phases.
    manifest : DemoManifest
        The generator's manifest with the injected ground truth.
    reports : dict of str to IngestReport
        What each reader did (e.g. ``reports["health_ae"].dropped``).
    operations : DemoOperations
        The site's activity log, MoRiLE series and perception waves (validated).
    area_counts : pandas.DataFrame or None
        Partner area counts (health, housing, youth, vulnerability signals) read with
        :func:`geosoc.ingest.counts.read_area_counts`, one ``source`` per file.
    """

    incidents: gpd.GeoDataFrame
    wards: gpd.GeoDataFrame
    lsoas: gpd.GeoDataFrame
    postcodes: pd.DataFrame
    postcode_sectors: gpd.GeoDataFrame
    imd: pd.DataFrame
    assets: gpd.GeoDataFrame
    site: DemoSite
    manifest: DemoManifest
    reports: dict[str, IngestReport]
    operations: DemoOperations | None = None
    area_counts: pd.DataFrame | None = None


def ensure_demo(directory: str | Path | None = None, *, seed: int = DEFAULT_SEED) -> Path:
    """Generate the demo town unless an up-to-date copy is already there.

    Parameters
    ----------
    directory : str or Path, optional
        Demo folder; defaults to ``data/demo`` at the repository root.
    seed : int
        Seed wanted; a copy made with another seed or generator version is replaced.

    Returns
    -------
    Path
        The demo folder.
    """
    target = Path(directory) if directory is not None else DEFAULT_DEMO_DIR
    target.parent.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha256(str(target.resolve()).encode()).hexdigest()[:16]
    with _lock(Path(tempfile.gettempdir()) / f"geosoc-demo-{key}.lock"):
        if not _is_current(target, seed):
            generate_demo_town(target, seed=seed)
    return target


def _is_current(target: Path, seed: int) -> bool:
    try:
        manifest = DemoManifest.read(target)
    except (FileNotFoundError, InputFileError):
        return False
    return (
        manifest.generator_version == GENERATOR_VERSION
        and manifest.seed == seed
        and all((target / name).is_file() for name in manifest.files)
    )


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (POSIX) so parallel callers generate once."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no cross-process lock
        yield
        return
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def load_demo(directory: str | Path | None = None) -> DemoTown:
    """Ensure the demo exists, then read it through :mod:`geosoc.ingest` and the asset reader.

    Parameters
    ----------
    directory : str or Path, optional
        Demo folder; defaults to ``data/demo`` at the repository root.

    Returns
    -------
    DemoTown
        Frames in EPSG:4326 following the data contracts.
    """
    root = ensure_demo(directory)
    manifest = DemoManifest.read(root)
    reports: dict[str, IngestReport] = {}

    def keep(name: str, ingested: Ingested) -> Any:
        reports[name] = ingested.report
        return ingested.data

    postcodes = keep("postcodes", read_postcodes(root / files.POSTCODE_FILE))
    frames = [keep("police", read_policeuk(root / files.POLICE_DIR))]
    for source, mapping in PARTNER_MAPPINGS.items():
        path = root / files.PARTNER_FILES[source]
        frames.append(keep(source, read_points(path, mapping, source=source,
                                               postcodes=postcodes)))
    incidents = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=CRS_STORE)
    wards = keep("wards", read_boundaries(root / files.BOUNDARY_FILES["wards"], kind="ward"))
    lsoas = keep("lsoas", read_boundaries(root / files.BOUNDARY_FILES["lsoas"], kind="lsoa"))
    sectors = build_postcode_areas(postcodes, level="sector", clip_to=wards)
    imd = keep("imd", read_imd(root / files.IMD_FILE))
    assets = read_assets(root / files.ASSETS_FILE, postcodes=postcodes)
    info = manifest.site
    site = DemoSite(
        name=info["name"],
        ward_code=info["ward_code"],
        geometry=shapely.from_wkt(info["geometry_wkt"]),
        phases={
            phase: (pd.Period(first, freq="M"), pd.Period(last, freq="M"))
            for phase, (first, last) in info["phases"].items()
        },
    )
    operations = _read_operations(root, site, _last_day(manifest))
    area_counts = pd.concat([keep(f"{source}_counts", read_area_counts(root / path,
                                                                       source=source))
                             for source, path in COUNT_FILES.items()], ignore_index=True)
    return DemoTown(incidents, wards, lsoas, postcodes, sectors, imd, assets, site, manifest,
                    reports, operations, area_counts)

"""What the app shows: a :class:`Study` (incidents with harm, boundaries, assets, a site).

The demo town is read from its files through the same ingest readers an analyst's uploads go
through (:func:`geosoc.synth.demo.load_demo`), so demo mode exercises the real path. A workspace's
study is built from its stored datasets (:func:`geosoc.workspace.study.load_study`), the ones
``geosoc ingest ... --workspace`` and the Data page store. Loading takes a few seconds and
is cached once per process by :mod:`geosoc.ui.caching.studies`; pages treat a Study as read-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geosoc.aggregate.count_layers import PartnerCounts
from geosoc.errors import WorkspaceError
from geosoc.harm import apply_harm_weights, load_harm_weights
from geosoc.ingest import IngestReport
from geosoc.phases.change import PhasePlan
from geosoc.schema import CATEGORY, CRS_STORE, EVENTS, MONTH, SOURCE
from geosoc.synth.demo import load_demo
from geosoc.workspace import Workspace
from geosoc.workspace.sharing import restrict_by_source
from geosoc.workspace.study import load_study


@dataclass(frozen=True)
class Study:
    """Inputs of one analysis, read-only once loaded.

    Parameters
    ----------
    name : str
        Display name.
    incidents : geopandas.GeoDataFrame
        Incidents contract with ``harm`` and ``police_activity`` (EPSG:4326).
    areas : dict of str -> geopandas.GeoDataFrame
        Areas contract frames by kind (``"ward"``, ``"lsoa"``...).
    assets : geopandas.GeoDataFrame
        Community asset register (points, EPSG:4326).
    site : geopandas.GeoDataFrame
        The CHB site(s) indexed by name (may be empty).
    plan : PhasePlan or None
        Phase dates of the first site (a phase still running ends with the data).
    ongoing : str or None
        Name of the phase of ``plan`` still running (no end month recorded), e.g. ``"build"``.
    ring_bands_m : tuple of float
        Displacement buffer ring widths in metres.
    imd : pandas.DataFrame or None
        IMD 2019 per LSOA (with population) for the vulnerability score.
    postcodes : pandas.DataFrame or None
        Postcode centroids (postcodes contract).
    reports : tuple of IngestReport
        What each reader kept and dropped (demo town; a workspace lists its datasets).
    demo : bool
        Whether this is the fictional demo town.
    partner_counts : PartnerCounts or None
        Partner area counts (health, housing, youth, vulnerability signals...) located on
        the study's boundaries and weighed with each source's own harm weight.
    population : pandas.DataFrame or None
        Mid-year population per area (index ``area_code``; ``population``, ``kind``) for
        rates per 1,000 residents.
    owners : dict of str to str
        Owner agency per incident or area-count source (from the data-sharing records).
    role : str
        Whom the study was loaded for: datasets whose widest role is narrower are absent.
    """

    name: str
    incidents: gpd.GeoDataFrame
    areas: dict[str, gpd.GeoDataFrame]
    assets: gpd.GeoDataFrame
    site: gpd.GeoDataFrame
    plan: PhasePlan | None = None
    ongoing: str | None = None
    ring_bands_m: tuple[float, ...] = (250.0, 500.0)
    imd: pd.DataFrame | None = None
    postcodes: pd.DataFrame | None = None
    reports: tuple[IngestReport, ...] = field(default=())
    demo: bool = False
    partner_counts: PartnerCounts | None = None
    population: pd.DataFrame | None = None
    owners: dict[str, str] = field(default_factory=dict)
    role: str = "analyst"

    @property
    def months(self) -> list[str]:
        """Every month from the first to the last incident, ``"YYYY-MM"``."""
        return list(self._distinct[0])

    @property
    def categories(self) -> list[str]:
        """Distinct incident categories, sorted."""
        return list(self._distinct[1])

    @property
    def sources(self) -> list[str]:
        """Distinct sources (``police`` first)."""
        return list(self._distinct[2])

    @cached_property
    def _distinct(self) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], bool]:
        """Months, categories, sources and whether any police-activity offence is present.

        Computed once per study (the sidebar and every page read them on every rerun, and
        on a force's million incidents each is a fraction of a second).
        """
        frame = self.incidents
        months = frame[MONTH]
        span = ([] if months.empty or months.isna().all() else
                [str(p) for p in pd.period_range(months.min(), months.max(), freq="M")])
        categories = sorted(_distinct_text(frame[CATEGORY]))
        sources = sorted(_distinct_text(frame[SOURCE]), key=lambda s: (s != "police", s))
        activity = ("police_activity" in frame.columns
                    and bool(frame["police_activity"].to_numpy(dtype=bool).any()))
        return tuple(span), tuple(categories), tuple(sources), activity

    def filtered(self, months: tuple[str, ...] = (), categories: tuple[str, ...] = (),
                 sources: tuple[str, ...] = ()) -> gpd.GeoDataFrame:
        """Return the incidents within a month range and of the chosen categories/sources.

        Parameters
        ----------
        months : tuple of str
            ``(first, last)`` months ``"YYYY-MM"`` inclusive; empty keeps all.
        categories, sources : tuple of str
            Values kept; empty keeps all.

        Returns
        -------
        geopandas.GeoDataFrame
            The incidents kept (original index): a new frame, or the study's own frame
            when nothing is filtered out (read-only either way).
        """
        keep = self._kept(months, categories, sources)
        # nothing filtered out (the default view): the frame itself, not a million-row copy
        return self.incidents if keep.all() else self.incidents[keep]

    def count(self, months: tuple[str, ...] = (), categories: tuple[str, ...] = (),
              sources: tuple[str, ...] = ()) -> int:
        """Return how many incidents :meth:`filtered` keeps (without building the frame).

        Rows standing for several events (``events``, a stored cube's rows) count as many.
        """
        keep = self._kept(months, categories, sources)
        if EVENTS in self.incidents.columns:
            return int(self.incidents[EVENTS].to_numpy()[keep].sum())
        return int(keep.sum())

    def _kept(self, months: tuple[str, ...], categories: tuple[str, ...],
              sources: tuple[str, ...]) -> np.ndarray:
        frame = self.incidents
        keep = np.ones(len(frame), dtype=bool)
        if months:
            first, last = (pd.Period(m, freq="M") for m in (months[0], months[-1]))
            keep &= ((frame[MONTH] >= first) & (frame[MONTH] <= last)).to_numpy()
        if categories:
            keep &= frame[CATEGORY].isin(list(categories)).to_numpy()
        if sources:
            keep &= frame[SOURCE].isin(list(sources)).to_numpy()
        return keep

    @cached_property
    def area_names(self) -> pd.Series:
        """Name of every area of every kind, indexed by its code (for readable tables)."""
        names = [frame["name"].astype(str) for frame in self.areas.values()
                 if "name" in frame.columns and len(frame)]
        if not names:
            return pd.Series(dtype=object)
        joined = pd.concat(names)
        return joined[~joined.index.duplicated()]

    @property
    def map_layers(self) -> list[str]:
        """Sources as map layers: police-activity offences split off from ``police``."""
        layers = self.sources
        return [*layers, POLICE_ACTIVITY_LAYER] if self._distinct[3] else layers

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(lon_min, lat_min, lon_max, lat_max)`` of the boundaries, degrees."""
        first = next(iter(self.areas.values()))
        return tuple(float(v) for v in first.total_bounds)


def _distinct_text(values: pd.Series) -> list[str]:
    """Distinct values of a column as text (each distinct value converted once)."""
    return list(pd.Series(pd.unique(values)).astype(str).unique())


def _weighted(incidents: gpd.GeoDataFrame, weights_path: str | None,
              asb_weight: float | None) -> gpd.GeoDataFrame:
    """CCHI harm from the configured weight table; unlisted categories count 1 day each."""
    weights = load_harm_weights(weights_path) if weights_path else None
    return apply_harm_weights(incidents, weights, unknown=1.0, asb_weight=asb_weight)


def _partner_counts(counts: pd.DataFrame | None, areas: dict[str, gpd.GeoDataFrame],
                    weights_path: str | None, asb_weight: float | None) -> PartnerCounts | None:
    """Partner area counts located on ``areas`` and weighed (None when there are none)."""
    if counts is None or counts.empty:
        return None
    weights = load_harm_weights(weights_path) if weights_path else None
    bundle = PartnerCounts.build(counts, areas, weights=weights, asb_weight=asb_weight)
    return bundle if bundle.treatment else None


def load_demo_study(demo_dir: str | Path, *, weights_path: str | None = None,
                    asb_weight: float | None = None, role: str = "analyst") -> Study:
    """Load the demo town (generating it if needed) through :func:`geosoc.synth.demo.load_demo`.

    Parameters
    ----------
    demo_dir : str or pathlib.Path
        Demo folder (``data/demo`` by default in the app).
    weights_path : str, optional
        An edited harm-weight table (``geosoc.config.Settings.harm_weights``).
    asb_weight : float, optional
        Anti-social behaviour weight override (0 or 1).
    role : str
        Whom it is for: the demo datasets whose sharing record's widest role is narrower
        (the A&E data is for analysts only) are left out.

    Returns
    -------
    Study
        Police and partner incidents with CCHI harm, wards, LSOAs and postcode sectors,
        assets, the site and its phases, population and owner agencies.
    """
    town = load_demo(demo_dir)
    incidents, area_counts = town.incidents, town.area_counts
    if town.sharing is not None:
        incidents = restrict_by_source(incidents, town.sharing, role).reset_index(drop=True)
        if area_counts is not None:
            area_counts = restrict_by_source(area_counts, town.sharing,
                                             role).reset_index(drop=True)
    owners = ({} if town.sharing is None else
              dict(zip(town.sharing["dataset"], town.sharing["owner_agency"], strict=True)))
    site = gpd.GeoDataFrame({"ward_code": [town.site.ward_code]},
                            index=pd.Index([town.site.name], name="name"),
                            geometry=[town.site.geometry], crs=CRS_STORE)
    plan = PhasePlan.from_dates(**{name: (str(a), str(b))
                                   for name, (a, b) in town.site.phases.items()})
    bands = town.manifest.site.get("ring_bands_m", (250.0, 500.0))
    areas = {"ward": town.wards, "lsoa": town.lsoas, "postcode_sector": town.postcode_sectors}
    return Study(
        name=town.manifest.name,
        incidents=_weighted(incidents, weights_path, asb_weight),
        areas=areas,
        assets=town.assets,
        site=site,
        plan=plan,
        ring_bands_m=tuple(float(b) for b in bands),
        imd=town.imd,
        postcodes=town.postcodes,
        reports=tuple(town.reports.values()),
        demo=True,
        partner_counts=_partner_counts(area_counts, areas, weights_path, asb_weight),
        population=town.population,
        owners={s: o for s, o in owners.items()
                if s in set(incidents["source"]) or (
                    area_counts is not None and s in set(area_counts["source"]))},
        role=role,
    )


#: Pseudo-source of police-recorded offences that police activity generates (drugs, weapons).
POLICE_ACTIVITY_LAYER = "police activity"
#: Column of :func:`lean_incidents` holding each incident's map layer (its source, or
#: :data:`POLICE_ACTIVITY_LAYER`).
MAP_LAYER = "map_layer"
#: Incident columns the app's layers, series and record keys read.
LEAN_COLUMNS = ("incident_id", MONTH, CATEGORY, SOURCE, "lon", "lat", "harm", "police_activity")


def lean_incidents(incidents: pd.DataFrame) -> pd.DataFrame:
    """Return the columns of :data:`LEAN_COLUMNS` (no geometry) plus :data:`MAP_LAYER`.

    Filtering a million incidents without their shapely points and free-text columns
    (location, outcome) is many times faster, and category, source and map layer are
    categoricals (a filter copies their integer codes); every layer and table computed
    from the lean frame is identical. The index is reset to positions ``0 .. n - 1`` so per-incident
    arrays (H3 cells) line up with any filtered subset by its index.
    """
    lean = pd.DataFrame(incidents[[c for c in LEAN_COLUMNS if c in incidents.columns]])
    lean = lean.reset_index(drop=True)
    lean[MAP_LAYER] = with_activity_layer(lean)[SOURCE].to_numpy()
    for column in (CATEGORY, SOURCE, MAP_LAYER):  # codes: a filter copies ints, not text
        lean[column] = lean[column].astype("category")
    lean.attrs = dict(incidents.attrs)
    return lean


def with_activity_layer(incidents: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return incidents whose police-activity offences carry the source ``"police activity"``.

    Drugs and weapons possession rise when police go looking (the Clear phase), so maps show
    them as their own toggleable layer rather than as part of police-recorded harm.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents with ``source`` and the ``police_activity`` flag from
        :func:`geosoc.harm.apply_harm_weights`.

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame, same index; only ``source`` differs.
    """
    if MAP_LAYER in incidents.columns:  # relabelled once for the whole study
        return incidents.assign(**{SOURCE: incidents[MAP_LAYER]})
    if "police_activity" not in incidents.columns:
        return incidents
    flagged = incidents["police_activity"].fillna(False).astype(bool).to_numpy()
    source = incidents[SOURCE].astype(object).where(~flagged, POLICE_ACTIVITY_LAYER)
    return incidents.assign(**{SOURCE: source.astype(str)})


def workspace_fingerprint(datasets: pd.DataFrame,
                          widest: dict[str, str] | None = None) -> str:
    """Return a key that changes whenever a dataset is added, replaced or edited on disk.

    Parameters
    ----------
    datasets : pandas.DataFrame
        ``Workspace.datasets.list()`` (``name``, ``sha256``...).
    widest : dict, optional
        ``Workspace.sharing.widest_roles()``: a changed widest role changes the key too, so
        a study cached for a partner never outlives the terms it was loaded under.
    """
    key = "|".join(sorted(datasets["name"] + ":" + datasets["sha256"]))
    return key + "".join(f"|{n}>{r}" for n, r in sorted((widest or {}).items()))


def load_workspace_study(workspace: str | Path, *, weights_path: str | None = None,
                         asb_weight: float | None = None, role: str = "analyst",
                         weighted: pd.DataFrame | None = None) -> Study:
    """Build a Study from the datasets stored in a workspace (:func:`load_study`).

    The same stored (Geo)Parquet datasets the CLI reads (``geosoc ingest ... --workspace``)
    and the Data page writes, each checked against its SHA-256.

    Parameters
    ----------
    workspace : str or pathlib.Path
        The workspace ``.sqlite`` file.
    weights_path, asb_weight : optional
        Harm weighting as in :func:`load_demo_study`.
    role : str
        Whom it is for: datasets whose sharing record limits them to a narrower role are
        not loaded (:func:`geosoc.workspace.study.load_study`).
    weighted : pandas.DataFrame, optional
        Incidents already weighted, used instead of reading the stored points (the stored
        cubes' rows, :func:`geosoc.ui.cube_study.load_cube_study`).

    Returns
    -------
    Study
        Incidents (police and partners, CCHI harm), wards and, when stored, LSOAs and
        postcode sectors (EPSG:4326), IMD, postcodes, the asset register, and the first
        recorded site with its phases.

    Raises
    ------
    geosoc.errors.WorkspaceError
        When the workspace has no incidents or no ward boundaries yet (each problem says how
        to add them), or a stored file is missing or altered.
    """
    with Workspace.open(workspace, create=False) as ws:
        try:
            data = load_study(ws, role=role, incidents=weighted)
        except WorkspaceError as error:
            raise WorkspaceError(error.summary, [
                replace(p, fix=f"add it on the Data page, or {p.fix}") if p.fix else p
                for p in error.problems]) from error
        sites = ws.sites.frame()
        plan = _first_plan(ws, sites, data.incidents["month"].max())
        ongoing = _running_phase(ws, sites) if plan is not None else None
    areas = {kind: frame for kind, frame in (("ward", data.wards), ("lsoa", data.lsoas),
                                             ("postcode_sector", data.postcode_sectors))
             if frame is not None}
    site = gpd.GeoDataFrame(sites[[]], geometry=sites.geometry, crs=CRS_STORE)
    return Study(name=Path(workspace).stem,
                 incidents=(_weighted(data.incidents, weights_path, asb_weight)
                            if weighted is None else weighted), areas=areas,
                 assets=data.assets, site=site, plan=plan, ongoing=ongoing, imd=data.imd,
                 postcodes=data.postcodes, population=data.population, owners=data.owners,
                 role=role,
                 partner_counts=_partner_counts(data.area_counts, areas, weights_path,
                                                asb_weight))


def _running_phase(ws: Workspace, sites: gpd.GeoDataFrame) -> str | None:
    """Return the plan name of the first site's phase with no end month (``"build"``), if any."""
    phases = ws.sites.phases(str(sites.index[0]))
    last = phases.iloc[-1]
    if not pd.isna(last["end_month"]):
        return None
    occurrence = int(last["occurrence"])
    return str(last["phase"]) if occurrence == 1 else f"{last['phase']} {occurrence}"


def _first_plan(ws: Workspace, sites: gpd.GeoDataFrame,
                last_month: pd.Period) -> PhasePlan | None:
    """Return the first site's plan (cycles kept); a phase still running ends with the data."""
    if sites.empty:
        return None
    phases = ws.sites.phases(str(sites.index[0]))
    if phases.empty or "clear" not in set(phases["phase"]):
        return None
    return PhasePlan.from_sequence([
        (p, str(s), str(last_month if pd.isna(e) else e))
        for p, s, e in zip(phases["phase"], phases["start_month"], phases["end_month"],
                           strict=True)])

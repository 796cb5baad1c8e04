"""Kernel density surface of (harm-weighted) incidents on a square grid in metres.

The surface is computed in British National Grid (EPSG:27700) metres with scikit-learn's
``KernelDensity``. The default kernel is **Epanechnikov** (compact support, the closest
scikit-learn kernel to the quartic kernel of crime-mapping software; quartic itself is not
offered); ``kernel="gaussian"`` is available. ``bandwidth_m`` is the kernel's bandwidth
parameter in metres (for Epanechnikov, the radius beyond which an incident adds nothing).
"""

from __future__ import annotations

from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from sklearn.neighbors import KernelDensity

from geosoc.errors import AnalysisError, Problem
from geosoc.schema import CRS_METRIC, CRS_STORE, LAT, LON, require_columns, require_crs

#: Refuse grids larger than this many cells (a 50 m grid over ~5,000 km²).
MAX_GRID_CELLS = 2_000_000


def _grid_centres(
    bounds: tuple[float, float, float, float], cell_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Centres of a ``cell_m`` grid covering ``bounds`` (EPSG:27700 metres)."""
    xmin, ymin, xmax, ymax = bounds
    xs = np.arange(xmin + cell_m / 2, xmax, cell_m)
    ys = np.arange(ymin + cell_m / 2, ymax, cell_m)
    if xs.size * ys.size > MAX_GRID_CELLS:
        raise AnalysisError(
            "the density grid would be too large",
            [Problem(f"{xs.size * ys.size:,} cells of {cell_m} m",
                     fix="use a larger cell_m or smaller bounds")],
        )
    gx, gy = np.meshgrid(xs, ys)
    return gx.ravel(), gy.ravel()


def kde_surface(
    incidents: gpd.GeoDataFrame,
    *,
    bandwidth_m: float = 200.0,
    cell_m: float = 50.0,
    weight: str | None = "harm",
    bounds: tuple[float, float, float, float] | None = None,
    kernel: Literal["epanechnikov", "gaussian"] = "epanechnikov",
) -> gpd.GeoDataFrame:
    """Kernel density of incidents (harm or count per km²) on a square grid.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents with ``lon``/``lat`` (WGS84), geometry EPSG:4326.
    bandwidth_m : float
        Kernel bandwidth in metres.
    cell_m : float
        Grid cell size in metres (EPSG:27700).
    weight : str or None
        Column weighting each incident (``"harm"``), or ``None`` to count incidents.
    bounds : tuple of float, optional
        ``(xmin, ymin, xmax, ymax)`` in EPSG:27700 metres; defaults to the incidents'
        extent padded by one bandwidth.
    kernel : {"epanechnikov", "gaussian"}
        Kernel shape.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per grid cell: ``x_m``, ``y_m`` (cell centre, EPSG:27700 metres),
        ``density_per_km2`` (harm or incidents per km²; integrates to the total weight),
        geometry square Polygon in EPSG:4326. ``attrs`` records ``bandwidth_m``,
        ``cell_m``, ``kernel``, ``weight``.
    """
    require_crs(incidents, CRS_STORE, what="incidents")
    require_columns(incidents, [LON, LAT] + ([weight] if weight else []), what="incidents")
    if bandwidth_m <= 0 or cell_m <= 0:
        raise AnalysisError("bandwidth and cell size must be positive",
                            [Problem(f"bandwidth_m={bandwidth_m}, cell_m={cell_m}",
                                     fix="use metres > 0, e.g. 200 and 50")])
    if len(incidents) == 0:
        raise AnalysisError("no incidents to smooth",
                            [Problem("the incident table is empty", fix="load incidents")])
    w = (incidents[weight].to_numpy(dtype=float) if weight
         else np.ones(len(incidents)))
    if (w < 0).any() or np.isnan(w).any() or w.sum() <= 0:
        raise AnalysisError("weights must be non-negative with a positive total",
                            [Problem("bad weights", column=weight,
                                     fix="apply harm weights first")])
    to_metric = Transformer.from_crs(CRS_STORE, CRS_METRIC, always_xy=True)
    x, y = to_metric.transform(incidents[LON].to_numpy(), incidents[LAT].to_numpy())
    if bounds is None:
        bounds = (x.min() - bandwidth_m, y.min() - bandwidth_m,
                  x.max() + bandwidth_m, y.max() + bandwidth_m)
    gx, gy = _grid_centres(bounds, cell_m)
    model = KernelDensity(bandwidth=bandwidth_m, kernel=kernel, rtol=1e-6)
    model.fit(np.column_stack([x, y]), sample_weight=w)
    density = np.exp(model.score_samples(np.column_stack([gx, gy]))) * w.sum() * 1e6
    half = cell_m / 2
    squares = gpd.GeoSeries(shapely.box(gx - half, gy - half, gx + half, gy + half),
                            crs=CRS_METRIC).to_crs(CRS_STORE)
    out = gpd.GeoDataFrame(
        {"x_m": gx, "y_m": gy, "density_per_km2": density},
        geometry=squares.to_numpy(), crs=CRS_STORE, index=pd.RangeIndex(len(gx)),
    )
    out.attrs = {"bandwidth_m": bandwidth_m, "cell_m": cell_m, "kernel": kernel,
                 "weight": weight or "count"}
    return out

"""Hotspot statistics on cells or areas: Getis-Ord Gi*, Local Moran, FDR and ArcGIS bins.

Gi* is the statistic of ``esda.G_Local(y, w, transform="B", star=True)``: binary weights
with each location counted as its own neighbour, whose z-score equals ArcGIS's Gi*
z-score. It is computed here with sparse matrix algebra (identical numbers to esda, tested)
so that many time steps can be done at once (:func:`gi_star_z` takes an ``(n, T)`` array).
Permutation inference uses :mod:`geosoc.hotspots.randomisation`, a vectorised form of esda's
conditional randomisation (same null distribution, no numba compile).

p-values and bins
    ``gi_p`` is two-sided: ``2 * norm.sf(|z|)`` analytically, or ``min(1, 2 * p_sim)`` with
    permutations (``p_sim`` is esda's folded one-tailed pseudo p-value). ``gi_q`` is the
    Benjamini-Hochberg adjusted ``gi_p`` over all locations and ``gi_fdr`` is
    ``gi_q <= alpha``. ``hotspot_bin`` follows ArcGIS: ±3, ±2, ±1 at 99/95/90% confidence,
    signed by z. With ``fdr=True`` (the default, like ArcGIS "Apply FDR correction") the
    levels are tested on ``gi_q`` (``q <= 0.01`` ...), otherwise on the raw ``gi_p``
    (``p < 0.01`` ...). Keep zero cells: callers pass a zero-filled cover.
"""

from __future__ import annotations

import time
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from libpysal.graph import Graph
from scipy import stats

from geosoc.errors import AnalysisError, Problem
from geosoc.hotspots.randomisation import conditional_pseudo_p
from geosoc.hotspots.significance import BIN_LEVELS, benjamini_hochberg, hotspot_bins
from geosoc.hotspots.weights import attach_islands, binary_adjacency, contiguity_graph, h3_graph

__all__ = [
    "BIN_LEVELS",
    "benjamini_hochberg",
    "contiguity_graph",
    "find_hotspots",
    "gi_star",
    "gi_star_z",
    "graph_for",
    "h3_graph",
    "hotspot_bins",
    "local_moran",
    "warm_up",
]


def gi_star_z(values: np.ndarray, graph: Graph) -> np.ndarray:
    """Analytic Gi* z-scores (binary weights, self included) for one or many columns.

    Parameters
    ----------
    values : numpy.ndarray
        Non-negative values aligned with ``graph.unique_ids``, shape ``(n,)`` or ``(n, T)``
        (one column per time step: the weights are fixed, so all steps are one product).
    graph : libpysal.graph.Graph
        Binary neighbour graph.

    Returns
    -------
    numpy.ndarray
        z-scores of the same shape; 0 where a column has no variation (e.g. no events).
    """
    y = np.asarray(values, dtype=float)
    flat = y.ndim == 1
    y = y.reshape(len(y), -1)
    n = y.shape[0]
    w = binary_adjacency(graph) + sp.identity(n, format="csr")
    card = np.asarray(w.sum(axis=1)).ravel()[:, None]
    total = y.sum(axis=0)
    mean = total / n
    var = (y**2).sum(axis=0) / n - mean**2
    with np.errstate(divide="ignore", invalid="ignore"):
        g = (w @ y) / total
        expected_var = card * (n - card) / (n - 1) / n**2 * var / mean**2
        z = (g - card / n) / np.sqrt(expected_var)
    z[:, ~((total > 0) & (var > 1e-12 * np.maximum(mean**2, 1.0)))] = 0.0
    z = np.nan_to_num(z, nan=0.0)
    return z.ravel() if flat else z


def _aligned(frame: pd.DataFrame, value: str, graph: Graph) -> tuple[np.ndarray, np.ndarray]:
    """Return (values in graph order, positions mapping graph order back to frame rows)."""
    if value not in frame.columns:
        raise AnalysisError(f"no column {value!r} to analyse",
                            [Problem(f"column {value!r} is missing", column=value,
                                     fix="aggregate first (harm_by_cell / harm_by_area)")])
    ids = pd.Index(graph.unique_ids)
    pos = ids.get_indexer(frame.index)
    if len(ids) != len(frame) or (pos < 0).any():
        raise AnalysisError(
            "the weights graph does not match the frame's index",
            [Problem(f"{int((pos < 0).sum())} row(s) not in the graph; graph has {len(ids)} "
                     f"ids, frame {len(frame)} rows", fix="build the graph from this frame")],
        )
    y = frame[value].to_numpy(dtype=float)
    problems = []
    if np.isnan(y).any():
        problems.append(Problem(f"{int(np.isnan(y).sum())} missing value(s)", column=value,
                                fix="fill cells with no events with 0 (zero-filled cover)"))
    if (y < 0).any():
        problems.append(Problem("negative values", column=value,
                                fix="Gi* needs counts or harm >= 0"))
    if problems:
        raise AnalysisError(f"cannot compute hotspots on {value!r}", problems)
    ordered = np.empty_like(y)
    ordered[pos] = y
    return ordered, pos


def gi_star(
    frame: pd.DataFrame,
    value: str,
    graph: Graph,
    *,
    permutations: int = 0,
    seed: int = 0,
    alpha: float = 0.05,
    fdr: bool = True,
) -> pd.DataFrame:
    """Getis-Ord Gi* hot and cold spots with FDR control and ArcGIS bins.

    Parameters
    ----------
    frame : pandas.DataFrame
        Cells or areas (any CRS; geometry is not used), zero-filled, index matching
        ``graph.unique_ids``.
    value : str
        Column to analyse (``"harm"``, ``"count"``...), non-negative.
    graph : libpysal.graph.Graph
        Neighbour graph (:func:`h3_graph`, :func:`contiguity_graph`); used as binary.
    permutations : int
        0 for analytic p-values (recommended with thousands of locations), otherwise
        conditional randomisation with that many simulations (>= 9,999 to pass FDR).
    seed : int
        Random seed for the permutations.
    alpha : float
        FDR level for ``gi_fdr``.
    fdr : bool
        Bin on BH q-values (ArcGIS "Apply FDR correction") rather than raw p-values.

    Returns
    -------
    pandas.DataFrame
        A copy of ``frame`` with ``gi_z``, ``gi_p`` (two-sided), ``gi_q`` (BH-adjusted),
        ``gi_fdr`` (bool), ``hotspot_bin`` (int8, -3..3); parameters in ``attrs``.
    """
    y, pos = _aligned(frame, value, graph)
    z = gi_star_z(y, graph)
    if permutations:
        adj = binary_adjacency(graph)
        p_sim = conditional_pseudo_p(
            y, np.diff(adj.indptr), np.ones(len(y)), adj @ y,
            permutations=permutations, seed=seed,
        )
        p = np.minimum(1.0, 2.0 * p_sim)
    else:
        p = 2.0 * stats.norm.sf(np.abs(z))
    q = benjamini_hochberg(p)
    out = frame.copy()
    out["gi_z"] = z[pos]
    out["gi_p"] = p[pos]
    out["gi_q"] = q[pos]
    out["gi_fdr"] = (q <= alpha)[pos]
    out["hotspot_bin"] = hotspot_bins(z, p, fdr=fdr)[pos]
    out.attrs = {**frame.attrs, "gi_value": value, "gi_permutations": permutations,
                 "gi_alpha": alpha, "gi_bins_fdr": fdr}
    return out


def local_moran(
    frame: pd.DataFrame,
    value: str,
    graph: Graph,
    *,
    permutations: int = 9_999,
    seed: int = 0,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Local Moran's I (row-standardised weights) with conditional permutation inference.

    Same statistic as ``esda.Moran_Local(y, w, transformation="r")``:
    ``I_i = (n - 1) z_i lag_i / sum(z^2)`` with ``z`` standardised ``y``.

    Parameters
    ----------
    frame : pandas.DataFrame
        Cells or areas, index matching ``graph.unique_ids``.
    value : str
        Column to analyse.
    graph : libpysal.graph.Graph
        Neighbour graph, row-standardised here.
    permutations : int
        Simulations for the pseudo p-value (at least 1).
    seed : int
        Random seed.
    alpha : float
        Level below which a location gets a cluster label.

    Returns
    -------
    pandas.DataFrame
        A copy of ``frame`` with ``lisa_i``, ``lisa_p`` (esda's folded pseudo p-value) and
        ``lisa_cluster`` (``"HH"``, ``"LL"``, ``"HL"``, ``"LH"`` or ``"ns"``).
    """
    if permutations < 1:
        raise AnalysisError("Local Moran needs permutations",
                            [Problem(f"permutations={permutations}", fix="use 9999")])
    y, pos = _aligned(frame, value, graph)
    n = len(y)
    sd = y.std()
    z = (y - y.mean()) / sd if sd > 0 else np.zeros(n)
    adj = binary_adjacency(graph)
    card = np.diff(adj.indptr)
    neighbour_sum = adj @ z
    with np.errstate(divide="ignore", invalid="ignore"):
        lag = np.where(card > 0, neighbour_sum / card, 0.0)
        coef = np.where(card > 0, (n - 1) * z / (card * (z * z).sum()), 0.0)
    coef = np.nan_to_num(coef)
    lisa = coef * neighbour_sum
    p = conditional_pseudo_p(z, card, coef, neighbour_sum,
                             permutations=permutations, seed=seed)
    p[coef == 0] = 1.0
    quad = np.select([(z > 0) & (lag > 0), (z <= 0) & (lag <= 0), (z > 0) & (lag <= 0)],
                     ["HH", "LL", "HL"], "LH")
    cluster = np.where(p < alpha, quad, "ns")
    out = frame.copy()
    out["lisa_i"] = lisa[pos]
    out["lisa_p"] = p[pos]
    out["lisa_cluster"] = pd.Series(cluster[pos], index=frame.index, dtype="str")
    out.attrs = {**frame.attrs, "lisa_permutations": permutations, "lisa_alpha": alpha}
    return out


def _graph_and_islands(frame: pd.DataFrame) -> tuple[Graph, dict[str, str]]:
    """Build :func:`graph_for`'s graph and return ``{island: area linked to}`` beside it."""
    if frame.index.name == "h3":
        return h3_graph(frame.index), {}
    if "geometry" in frame.columns:
        return attach_islands(frame, contiguity_graph(frame, islands="keep"))
    raise AnalysisError("cannot tell how to build neighbours for this frame",
                        [Problem(f"index {frame.index.name!r} and no geometry",
                                 fix="pass graph= explicitly")])


def graph_for(frame: pd.DataFrame) -> Graph:
    """Neighbour graph for a Cells frame (H3 k=1) or an Areas frame (queen contiguity).

    Areas with no contiguous neighbour are linked to their nearest area (no warning; use
    :func:`geosoc.hotspots.weights.contiguity_graph` to be told which).

    Parameters
    ----------
    frame : pandas.DataFrame or geopandas.GeoDataFrame
        Cells contract (index ``h3``) or Areas contract (index ``area_code``, polygons in
        EPSG:4326; nearest-area distances are measured in EPSG:27700 metres).

    Returns
    -------
    libpysal.graph.Graph
        Binary graph whose ``unique_ids`` follow ``frame.index``.

    Raises
    ------
    AnalysisError
        When ``frame`` has neither an ``h3`` index nor a geometry column.
    """
    return _graph_and_islands(frame)[0]


def find_hotspots(
    frame: pd.DataFrame,
    value: str = "harm",
    *,
    graph: Graph | None = None,
    permutations: int = 0,
    lisa_permutations: int = 9_999,
    seed: int = 0,
    alpha: float = 0.05,
    fdr: bool = True,
    transform_value: Literal["log1p"] | None = None,
) -> pd.DataFrame:
    """Gi* and Local Moran columns for Cells (H3) or Areas in one call.

    Parameters
    ----------
    frame : pandas.DataFrame
        A zero-filled Cells frame (index ``h3``) or Areas GeoDataFrame (EPSG:4326).
    value : str
        Column to analyse.
    graph : libpysal.graph.Graph, optional
        Neighbours; built from the frame when omitted (H3 k=1, or queen contiguity with
        islands linked to their nearest area, listed in ``attrs["islands_linked"]``).
    permutations, lisa_permutations : int
        Gi* simulations (0 = analytic) and Local Moran simulations.
    seed : int
        Random seed.
    alpha : float
        FDR level for ``gi_fdr`` and cluster level for Local Moran.
    fdr : bool
        Bin Gi* on FDR q-values.
    transform_value : {"log1p", None}
        ``"log1p"`` analyses ``ln(1 + value)`` so that a few very heavy offences do not
        dominate (DOMAIN caveat: violence carries most of the harm).

    Returns
    -------
    pandas.DataFrame
        A copy of ``frame`` with the :func:`gi_star` and :func:`local_moran` columns.
    """
    graph, islands = _graph_and_islands(frame) if graph is None else (graph, {})
    work = frame
    column = value
    if transform_value == "log1p":
        column = f"{value}__log1p"
        work = frame.assign(**{column: np.log1p(frame[value].astype(float))})
    elif transform_value is not None:
        raise AnalysisError("unknown value transform",
                            [Problem(f"transform_value={transform_value!r}",
                                     fix="use 'log1p' or None")])
    out = gi_star(work, column, graph, permutations=permutations, seed=seed, alpha=alpha,
                  fdr=fdr)
    lisa = local_moran(work, column, graph, permutations=lisa_permutations, seed=seed,
                       alpha=alpha)
    out = out.join(lisa[["lisa_i", "lisa_p", "lisa_cluster"]])
    if column != value:
        out = out.drop(columns=column)
    out.attrs = {**out.attrs, **lisa.attrs, "hotspot_transform": transform_value or "none",
                 "islands_linked": islands}
    return out


def warm_up() -> float:
    """Import and exercise the hotspot code once so the first real call is quick.

    geosoc's permutation path is numpy only (no numba JIT); this loads libpysal/scipy and
    runs a tiny Gi* and Local Moran. Safe to call from a background thread.

    Returns
    -------
    float
        Seconds taken.
    """
    start = time.perf_counter()
    ids = pd.Index([f"c{i}" for i in range(6)], name="cell")
    ring = np.arange(6)
    graph = Graph.from_arrays(ids.to_numpy()[ring], ids.to_numpy()[(ring + 1) % 6], np.ones(6))
    frame = pd.DataFrame({"harm": [0.0, 1.0, 5.0, 2.0, 0.0, 3.0]}, index=ids)
    local_moran(gi_star(frame, "harm", graph, permutations=99), "harm", graph,
                permutations=99)
    return time.perf_counter() - start

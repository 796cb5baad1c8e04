"""Spatial weights graphs for hotspot statistics: H3 neighbours and area contiguity.

Every graph is a binary :class:`libpysal.graph.Graph` (weight 1 between neighbours, no
self-weight) whose ``unique_ids`` are in the same order as the ids passed in, so statistics
can be computed on ``frame[value].to_numpy()`` directly. Cells or areas with no neighbour
are encoded the libpysal way (a zero-weight self loop) and reported by ``graph.isolates``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import geopandas as gpd
import h3ronpy
import numpy as np
import pandas as pd
import pyarrow as pa
import scipy.sparse as sp
from libpysal.graph import Graph

from geosoc.aggregate.cells import as_cell_ids
from geosoc.errors import AnalysisError, Problem
from geosoc.schema import CRS_METRIC, require_crs


def _from_pairs(ids: pd.Index, focal: np.ndarray, neighbour: np.ndarray) -> Graph:
    """Build a binary graph over ``ids`` from positional pairs, keeping ``ids`` order.

    Positions with no pair get the zero-weight self loop libpysal uses for isolates.
    """
    n = len(ids)
    has_pair = np.zeros(n, dtype=bool)
    has_pair[focal] = True
    lonely = np.flatnonzero(~has_pair)
    focal = np.concatenate([focal, lonely])
    neighbour = np.concatenate([neighbour, lonely])
    weight = np.concatenate([np.ones(len(focal) - len(lonely)), np.zeros(len(lonely))])
    order = np.lexsort((neighbour, focal))
    # codes into ``ids`` on both levels (no string factorising), sorted by position in
    # ``ids``: libpysal's canonical order
    index = pd.MultiIndex(levels=[ids, ids], codes=[focal[order], neighbour[order]],
                          names=["focal", "neighbor"], verify_integrity=False)
    return Graph(pd.Series(weight[order], index=index, name="weight"), is_sorted=True)


def h3_graph(cell_ids: Sequence[str] | np.ndarray | pd.Index, k: int = 1) -> Graph:
    """Binary graph linking each H3 cell to the cells within ``k`` grid steps of it.

    Parameters
    ----------
    cell_ids : sequence of str or uint64
        H3 cells (one resolution), e.g. the index of a Cells frame. Must be unique.
    k : int
        Grid distance: 1 links the 6 touching hexagons, 2 adds the next ring.

    Returns
    -------
    libpysal.graph.Graph
        Binary weights; ``unique_ids`` equal ``cell_ids`` in order. Neighbours outside
        ``cell_ids`` are dropped (use a zero-filled cover so edge cells are fair).
    """
    ids = pd.Index(cell_ids)
    if not ids.is_unique:
        raise AnalysisError(
            "H3 cell ids must be unique to build a graph",
            [Problem(f"{ids.duplicated().sum()} duplicate cell id(s)", column="h3",
                     fix="aggregate to one row per cell first (harm_by_cell)")],
        )
    if k < 1:
        raise AnalysisError("k must be at least 1", [Problem(f"k={k}", fix="use k=1 or more")])
    return _from_pairs(ids, *h3_neighbour_pairs(ids.to_numpy(), k))


def h3_neighbour_pairs(cell_ids: Sequence[str] | np.ndarray, k: int = 1
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Return every (cell, neighbour) pair within ``k`` grid steps, both in ``cell_ids``.

    Parameters
    ----------
    cell_ids : sequence of str or uint64
        Unique H3 cells of one resolution.
    k : int
        Grid distance (1 = the 6 touching hexagons).

    Returns
    -------
    tuple of numpy.ndarray
        ``focal`` and ``neighbour`` positions into ``cell_ids`` (int64), ``focal``
        ascending; a cell is never its own neighbour.
    """
    ints = as_cell_ids(cell_ids)
    disks = pa.array(h3ronpy.grid_disk(ints, k))
    lengths = np.diff(np.asarray(disks.offsets))
    focal = np.repeat(np.arange(len(ints)), lengths)
    neighbour = pd.Index(ints).get_indexer(np.asarray(disks.flatten()))
    keep = (neighbour >= 0) & (neighbour != focal)
    return focal[keep], neighbour[keep]


def attach_islands(areas: gpd.GeoDataFrame, graph: Graph) -> tuple[Graph, dict[str, str]]:
    """Link every area that has no neighbour to its nearest area (both ways).

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        The areas the graph was built on (same order), any projected or EPSG:4326 CRS;
        distances are measured in EPSG:27700 metres.
    graph : libpysal.graph.Graph
        A binary graph over ``areas.index``.

    Returns
    -------
    tuple of (libpysal.graph.Graph, dict)
        The graph with islands attached, and ``{island code: nearest area code}``.
    """
    islands = pd.Index(graph.isolates)
    if islands.empty or len(areas) < 2:
        return graph, {}
    metric = areas.geometry.to_crs(CRS_METRIC)
    pos = areas.index.get_indexer(islands)
    others = metric.drop(index=islands) if len(islands) < len(areas) else metric
    near_idx, tree_idx = others.sindex.nearest(metric.iloc[pos], return_all=False)
    nearest = others.index.to_numpy()[tree_idx]
    partners = dict(zip(islands.to_numpy()[near_idx], nearest, strict=True))
    focal, neighbour = _positional_pairs(areas.index, graph)
    a = areas.index.get_indexer(list(partners))
    b = areas.index.get_indexer(list(partners.values()))
    pairs = pd.DataFrame(
        {"f": np.concatenate([focal, a, b]), "n": np.concatenate([neighbour, b, a])}
    ).drop_duplicates()
    linked = _from_pairs(areas.index, pairs["f"].to_numpy(), pairs["n"].to_numpy())
    return linked, {str(k): str(v) for k, v in partners.items()}


def contiguity_graph(
    areas: gpd.GeoDataFrame,
    rook: bool = False,
    *,
    snap_m: float = 1.0,
    islands: str = "nearest",
) -> Graph:
    """Binary contiguity graph of areas (queen by default), islands handled explicitly.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Areas indexed by ``area_code``, polygons in EPSG:4326.
    rook : bool
        ``True`` for rook (shared edge) contiguity, exact, so it needs topologically clean
        boundaries; ``False`` for queen (shared point).
    snap_m : float
        Queen only: areas closer than this many metres (EPSG:27700) count as touching, which
        absorbs the sliver gaps of generalised boundary files (ONS "generalised clipped"
        LSOAs do not share vertices exactly). 0 demands exactly shared points.
    islands : {"nearest", "keep"}
        ``"nearest"`` links each area with no contiguous neighbour to its nearest area
        (EPSG:27700 distance) and warns naming them; ``"keep"`` leaves them isolated
        (Gi* then compares an island only with itself).

    Returns
    -------
    libpysal.graph.Graph
        Binary weights with ``unique_ids`` equal to ``areas.index`` in order.
    """
    require_crs(areas, what="areas")
    if islands not in ("nearest", "keep"):
        raise AnalysisError("unknown islands rule",
                            [Problem(f"islands={islands!r}", fix="use 'nearest' or 'keep'")])
    if rook or snap_m <= 0:
        graph = Graph.build_contiguity(areas.geometry, rook=rook)
    else:
        graph = Graph.build_fuzzy_contiguity(areas.geometry.to_crs(CRS_METRIC),
                                             buffer=snap_m / 2)
    graph = _from_pairs(areas.index, *_positional_pairs(areas.index, graph))
    if islands == "keep":
        return graph
    graph, attached = attach_islands(areas, graph)
    if attached:
        listed = ", ".join(f"{k}->{v}" for k, v in list(attached.items())[:10])
        warnings.warn(
            f"{len(attached)} area(s) had no contiguous neighbour and were linked to their "
            f"nearest area: {listed}",
            UserWarning,
            stacklevel=2,
        )
    return graph


def _positional_pairs(ids: pd.Index, graph: Graph) -> tuple[np.ndarray, np.ndarray]:
    """Return (focal, neighbour) positions in ``ids`` of the non-zero edges of ``graph``."""
    adj = graph.adjacency
    adj = adj[adj > 0]
    focal = ids.get_indexer(adj.index.get_level_values(0))
    neighbour = ids.get_indexer(adj.index.get_level_values(1))
    return focal, neighbour


def binary_adjacency(graph: Graph) -> sp.csr_matrix:
    """Binary sparse adjacency without self-weights, rows in ``graph.unique_ids`` order."""
    adj = sp.csr_matrix(graph.sparse)
    adj.setdiag(0)
    adj.eliminate_zeros()
    adj.data[:] = 1.0
    return adj

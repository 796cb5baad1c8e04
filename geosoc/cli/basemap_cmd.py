"""``geosoc basemap``: cut the study area out of a large vector tile archive, once.

The cut (a small PMTiles file) is written where ``[map] vector`` of ``$GEOSOC_CONFIG`` points
(or ``--out``); the app and the packs then draw a labelled base map with no network. The
area is the extent of the workspace's boundaries (``--workspace``) or ``--bbox``.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from geosoc.cli import SUBCOMMANDS
from geosoc.errors import GeosocError, Problem


def _bbox(text: str) -> tuple[float, float, float, float]:
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 4 or not (values[0] < values[2] and values[1] < values[3]):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a box: write LON_MIN,LAT_MIN,LON_MAX,LAT_MAX in degrees "
            "(EPSG:4326), e.g. -0.12,51.50,-0.07,51.53")
    return values  # type: ignore[return-value]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``geosoc basemap`` to the top-level parser."""
    parser = subparsers.add_parser("basemap", help=SUBCOMMANDS["basemap"], description=__doc__)
    parser.add_argument("source", help="a .pmtiles or .mbtiles vector archive, or the "
                        "http(s):// URL of a .pmtiles archive (read by range requests)")
    area = parser.add_mutually_exclusive_group(required=True)
    area.add_argument("--workspace", type=Path, help="cut the extent of its boundaries")
    area.add_argument("--bbox", type=_bbox, help="LON_MIN,LAT_MIN,LON_MAX,LAT_MAX (degrees)")
    parser.add_argument("--out", type=Path,
                        help="where to write the cut (default: [map] vector of $GEOSOC_CONFIG)")
    parser.add_argument("--max-zoom", type=int, dest="max_zoom",
                        help="highest zoom to copy (default: all the archive holds)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run)


def workspace_bounds(path: Path) -> tuple[float, float, float, float]:
    """Return the extent (EPSG:4326 degrees) of every boundary stored in a workspace."""
    import numpy as np

    from geosoc.schema import AREA_KINDS
    from geosoc.workspace import Workspace
    from geosoc.workspace.dataset_store import load_areas

    with Workspace.open(path, create=False) as ws:
        frames = [load_areas(ws, kind, required=False) for kind in AREA_KINDS]
    boxes = [f.to_crs("EPSG:4326").total_bounds for f in frames if f is not None and len(f)]
    if not boxes:
        raise GeosocError(f"no boundaries in {path}", [Problem(
            "the workspace holds no area boundaries to take the study area from",
            file=str(path), fix="ingest boundaries first, or give --bbox")])
    stacked = np.vstack(boxes)
    return (float(stacked[:, 0].min()), float(stacked[:, 1].min()),
            float(stacked[:, 2].max()), float(stacked[:, 3].max()))


def _target(out: Path | None) -> Path:
    if out is not None:
        return out
    from geosoc.config import load_config

    vector = load_config(os.environ.get("GEOSOC_CONFIG")).map.vector
    if vector is None:
        raise GeosocError("nowhere to write the base map", [Problem(
            "neither --out nor [map] vector in $GEOSOC_CONFIG says where the cut goes",
            fix='add vector = "basemap.pmtiles" under [map] in the config, or give --out')])
    return vector


def run(args: argparse.Namespace) -> int:
    """Cut the area and report the cut's size, zooms, layers and time."""
    from geosoc.maps.vector_cut import cut_vector

    bounds = args.bbox if args.bbox is not None else workspace_bounds(args.workspace)
    cut = cut_vector(args.source, bounds, _target(args.out), max_zoom=args.max_zoom)
    facts = {"path": str(cut.path), "tiles": cut.tiles, "bytes": cut.bytes,
             "zooms": [cut.min_zoom, cut.max_zoom], "bounds": [round(v, 5) for v in cut.bounds],
             "layers": list(cut.layers), "seconds": round(cut.seconds, 3)}
    if args.json:
        print(json.dumps(facts, indent=2))
    else:
        print(f"wrote {cut.path}: {cut.tiles} tiles, {cut.bytes / 1e6:.2f} MB, zoom "
              f"{cut.min_zoom}-{cut.max_zoom}, layers {', '.join(cut.layers) or 'unnamed'} "
              f"({cut.seconds:.2f} s)")
    return 0

"""Copying a study area's tiles for the app, and embedding them in a pack: time and size.

    python bench/bench_tiles.py            # demo town, zooms 10-17 in an MBTiles/PMTiles file

Prints one row per source: tiles copied, MB, seconds for the first copy and for the reuse,
and the tiles, zooms and MB a pack embeds within the default budget.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from tile_fixtures import DEMO_BOUNDS, write_mbtiles, write_pmtiles

from geosoc.ingest.tiles import open_tiles
from geosoc.maps.tiles import embedded_tile_layer, publish_tiles


def main() -> None:
    """Print the table."""
    folder = Path(tempfile.mkdtemp(prefix="geosoc-tiles-bench-"))
    zooms = range(10, 18)
    sources = {"mbtiles": write_mbtiles(folder / "t.mbtiles", zooms=zooms),
               "pmtiles": write_pmtiles(folder / "t.pmtiles", zooms=zooms)}
    print("| source | tiles copied | MB | first copy (s) | reuse (s) | pack: tiles | "
          "pack zooms | pack MB |")
    print("|---|---:|---:|---:|---:|---:|---|---:|")
    for name, path in sources.items():
        source = open_tiles(path)
        start = time.perf_counter()
        published = publish_tiles(source, DEMO_BOUNDS, out_dir=folder / f"out-{name}")
        first = time.perf_counter() - start
        start = time.perf_counter()
        publish_tiles(source, DEMO_BOUNDS, out_dir=folder / f"out-{name}")
        again = time.perf_counter() - start
        layer = embedded_tile_layer(source, DEMO_BOUNDS)
        embedded = layer.embedded if layer else {}
        pack_zooms = sorted({int(k.split("/")[0]) for k in embedded})
        pack_mb = sum(len(v) for v in embedded.values()) / 1e6
        print(f"| {name} | {published.tiles:,} | {published.bytes / 1e6:.1f} | {first:.2f} | "
              f"{again:.4f} | {len(embedded):,} | {pack_zooms[0]}-{pack_zooms[-1]} | "
              f"{pack_mb:.2f} |")


if __name__ == "__main__":
    main()

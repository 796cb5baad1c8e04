"""Fetch the Leaflet, jQuery, Bootstrap and plugin files folium 0.20 needs, for offline maps.

folium and streamlit-folium point every map at public CDNs. Police networks (and this build
machine) often block those, and the map then never starts. This module fetches the *same
versions* from the npm registry with ``npm pack`` into ``geosoc/ui/static/vendor/`` (served by
Streamlit's static file serving under ``/app/static/vendor/``), and holds the table that maps
each CDN URL to its local file, used by :mod:`geosoc.maps.offline`.

Run it once at set-up time::

    python -m geosoc.maps.vendor            # fetch what is missing
    python -m geosoc.maps.vendor --check    # exit 1 if a file is missing
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: Where the fetched files live (git-ignored; ``static/`` beside ``app.py`` links here).
VENDOR_DIR = Path(__file__).resolve().parents[1] / "ui" / "static" / "vendor"


@dataclass(frozen=True)
class VendorPackage:
    """One npm package and the parts of it the maps need.

    Parameters
    ----------
    spec : str
        npm ``name@version`` exactly as folium's CDN URLs pin it.
    keep : tuple of str
        Paths inside the package (files, or folders ending in ``/``) to unpack; folders carry
        the images and fonts the CSS refers to with relative ``url(...)``.
    """

    spec: str
    keep: tuple[str, ...]

    @property
    def folder(self) -> str:
        """Folder name under the vendor directory (``leaflet@1.9.3``; scope ``@`` dropped)."""
        return self.spec.lstrip("@").replace("/", "__")


PACKAGES: dict[str, VendorPackage] = {
    p.spec: p
    for p in (
        VendorPackage("leaflet@1.9.3", ("dist/leaflet.js", "dist/leaflet.css", "dist/images/")),
        VendorPackage("jquery@3.7.1", ("dist/jquery.min.js",)),
        VendorPackage(
            "bootstrap@5.2.2", ("dist/css/bootstrap.min.css", "dist/js/bootstrap.bundle.min.js")
        ),
        VendorPackage(
            "leaflet.awesome-markers@2.0.5",
            ("dist/leaflet.awesome-markers.css", "dist/leaflet.awesome-markers.js",
             "dist/images/"),
        ),
        VendorPackage(
            "@fortawesome/fontawesome-free@6.2.0", ("css/all.min.css", "webfonts/")
        ),
        VendorPackage(
            "leaflet.markercluster@1.1.0",
            ("dist/leaflet.markercluster.js", "dist/MarkerCluster.css",
             "dist/MarkerCluster.Default.css"),
        ),
        VendorPackage(
            "leaflet-draw@1.0.2", ("dist/leaflet.draw.js", "dist/leaflet.draw.css", "dist/images/")
        ),
        VendorPackage("leaflet.heat@0.2.0", ("dist/leaflet-heat.js",)),
        VendorPackage("leaflet.sync@0.2.4", ("L.Map.Sync.js",)),
        VendorPackage(
            "leaflet.fullscreen@3.0.0",
            ("Control.FullScreen.js", "Control.FullScreen.css", "icon-fullscreen.svg"),
        ),
        VendorPackage(
            "leaflet-minimap@3.6.1",
            ("dist/Control.MiniMap.min.js", "dist/Control.MiniMap.min.css", "dist/images/"),
        ),
        VendorPackage(
            "leaflet-groupedlayercontrol@0.6.1",
            ("dist/leaflet.groupedlayercontrol.min.js",
             "dist/leaflet.groupedlayercontrol.min.css"),
        ),
        VendorPackage(
            "leaflet.featuregroup.subgroup@1.0.2", ("dist/leaflet.featuregroup.subgroup.js",)
        ),
        VendorPackage("protomaps-leaflet@5.1.0", ("dist/protomaps-leaflet.js", "LICENSE")),
    )
}

_CDNJS = "https://cdnjs.cloudflare.com/ajax/libs"
#: The vector tile renderer (protomaps-leaflet: PMTiles/MVT drawn on Leaflet canvases).
PROTOMAPS_JS = "https://unpkg.com/protomaps-leaflet@5.1.0/dist/protomaps-leaflet.js"
_JSDELIVR = "https://cdn.jsdelivr.net"

#: CDN URL used by folium 0.20 -> (npm spec, path inside the package).
CDN_TO_LOCAL: dict[str, tuple[str, str]] = {
    f"{_JSDELIVR}/npm/leaflet@1.9.3/dist/leaflet.js": ("leaflet@1.9.3", "dist/leaflet.js"),
    f"{_JSDELIVR}/npm/leaflet@1.9.3/dist/leaflet.css": ("leaflet@1.9.3", "dist/leaflet.css"),
    "https://code.jquery.com/jquery-3.7.1.min.js": ("jquery@3.7.1", "dist/jquery.min.js"),
    f"{_CDNJS}/jquery/3.7.1/jquery.min.js": ("jquery@3.7.1", "dist/jquery.min.js"),
    f"{_JSDELIVR}/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js": (
        "bootstrap@5.2.2", "dist/js/bootstrap.bundle.min.js"),
    f"{_JSDELIVR}/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css": (
        "bootstrap@5.2.2", "dist/css/bootstrap.min.css"),
    f"{_CDNJS}/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js": (
        "leaflet.awesome-markers@2.0.5", "dist/leaflet.awesome-markers.js"),
    f"{_CDNJS}/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css": (
        "leaflet.awesome-markers@2.0.5", "dist/leaflet.awesome-markers.css"),
    f"{_JSDELIVR}/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css": (
        "@fortawesome/fontawesome-free@6.2.0", "css/all.min.css"),
    f"{_CDNJS}/leaflet.markercluster/1.1.0/leaflet.markercluster.js": (
        "leaflet.markercluster@1.1.0", "dist/leaflet.markercluster.js"),
    f"{_CDNJS}/leaflet.markercluster/1.1.0/MarkerCluster.css": (
        "leaflet.markercluster@1.1.0", "dist/MarkerCluster.css"),
    f"{_CDNJS}/leaflet.markercluster/1.1.0/MarkerCluster.Default.css": (
        "leaflet.markercluster@1.1.0", "dist/MarkerCluster.Default.css"),
    f"{_CDNJS}/leaflet.draw/1.0.2/leaflet.draw.js": ("leaflet-draw@1.0.2", "dist/leaflet.draw.js"),
    f"{_CDNJS}/leaflet.draw/1.0.2/leaflet.draw.css": (
        "leaflet-draw@1.0.2", "dist/leaflet.draw.css"),
    f"{_JSDELIVR}/gh/python-visualization/folium@main/folium/templates/leaflet_heat.min.js": (
        "leaflet.heat@0.2.0", "dist/leaflet-heat.js"),
    f"{_JSDELIVR}/gh/jieter/Leaflet.Sync/L.Map.Sync.min.js": (
        "leaflet.sync@0.2.4", "L.Map.Sync.js"),
    f"{_JSDELIVR}/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js": (
        "leaflet.fullscreen@3.0.0", "Control.FullScreen.js"),
    f"{_JSDELIVR}/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.css": (
        "leaflet.fullscreen@3.0.0", "Control.FullScreen.css"),
    f"{_CDNJS}/leaflet-minimap/3.6.1/Control.MiniMap.js": (
        "leaflet-minimap@3.6.1", "dist/Control.MiniMap.min.js"),
    f"{_CDNJS}/leaflet-minimap/3.6.1/Control.MiniMap.css": (
        "leaflet-minimap@3.6.1", "dist/Control.MiniMap.min.css"),
    f"{_CDNJS}/leaflet-groupedlayercontrol/0.6.1/leaflet.groupedlayercontrol.min.js": (
        "leaflet-groupedlayercontrol@0.6.1", "dist/leaflet.groupedlayercontrol.min.js"),
    f"{_CDNJS}/leaflet-groupedlayercontrol/0.6.1/leaflet.groupedlayercontrol.min.css": (
        "leaflet-groupedlayercontrol@0.6.1", "dist/leaflet.groupedlayercontrol.min.css"),
    "https://unpkg.com/leaflet.featuregroup.subgroup@1.0.2/dist/leaflet.featuregroup.subgroup.js": (
        "leaflet.featuregroup.subgroup@1.0.2", "dist/leaflet.featuregroup.subgroup.js"),
    # geosoc's own vector base map element (geosoc.maps.vector) names the renderer this way
    PROTOMAPS_JS: ("protomaps-leaflet@5.1.0", "dist/protomaps-leaflet.js"),
}

#: CDN files folium adds that no geosoc map uses; they are removed rather than served
#: (Bootstrap 3 glyphicons for ``Icon(prefix="glyphicon")``, folium's rotated-marker CSS).
DROPPED_URLS: frozenset[str] = frozenset({
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css",
    f"{_JSDELIVR}/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css",
})


def local_path(spec: str, path: str, vendor_dir: Path = VENDOR_DIR) -> Path:
    """Return where a package file lives on disk.

    Parameters
    ----------
    spec : str
        npm ``name@version`` (a key of :data:`PACKAGES`).
    path : str
        Path inside the package.
    vendor_dir : pathlib.Path
        The vendor folder.

    Returns
    -------
    pathlib.Path
        ``vendor_dir / <package folder> / path``.
    """
    return vendor_dir / PACKAGES[spec].folder / path


def missing_files(vendor_dir: Path = VENDOR_DIR) -> list[Path]:
    """List every file :data:`CDN_TO_LOCAL` points at that is not on disk yet."""
    wanted = {local_path(spec, path, vendor_dir) for spec, path in CDN_TO_LOCAL.values()}
    return sorted(p for p in wanted if not p.is_file())


def _wanted(member: str, keep: tuple[str, ...]) -> bool:
    inner = member.removeprefix("package/")
    return any(inner == k or (k.endswith("/") and inner.startswith(k)) for k in keep)


def _unpack(tgz: Path, package: VendorPackage, vendor_dir: Path) -> int:
    target = vendor_dir / package.folder
    count = 0
    with tarfile.open(tgz) as tar:
        for member in tar.getmembers():
            if not member.isfile() or not _wanted(member.name, package.keep):
                continue
            out = target / member.name.removeprefix("package/")
            if not out.resolve().is_relative_to(target.resolve()):
                raise ValueError(f"unsafe path {member.name!r} in {tgz.name}")
            out.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            if source is None:
                continue
            with source, out.open("wb") as sink:
                shutil.copyfileobj(source, sink)
            count += 1
    return count


def fetch_vendor_assets(
    vendor_dir: Path = VENDOR_DIR, *, force: bool = False, npm: str = "npm"
) -> list[str]:
    """Download the pinned packages with ``npm pack`` and unpack the files maps need.

    Parameters
    ----------
    vendor_dir : pathlib.Path
        Destination folder (created if absent).
    force : bool
        Fetch every package again even when its files are present.
    npm : str
        The ``npm`` executable.

    Returns
    -------
    list of str
        The package specs that were fetched.
    """
    vendor_dir.mkdir(parents=True, exist_ok=True)
    missing = set(missing_files(vendor_dir))
    specs = [
        spec for spec, package in PACKAGES.items()
        if force or any(p.is_relative_to(vendor_dir / package.folder) for p in missing)
    ]
    if not specs:
        return []
    if shutil.which(npm) is None:
        raise RuntimeError(f"'{npm}' not found: install Node.js/npm to fetch the map assets")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [npm, "pack", "--silent", "--pack-destination", tmp, *specs],
            check=True, capture_output=True, text=True,
        )
        for spec in specs:
            name, version = spec.rsplit("@", 1)
            tgz = Path(tmp) / f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"
            _unpack(tgz, PACKAGES[spec], vendor_dir)
    return specs


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: fetch (or ``--check``) the offline map assets."""
    parser = argparse.ArgumentParser(prog="python -m geosoc.maps.vendor", description=__doc__)
    parser.add_argument("--dir", type=Path, default=VENDOR_DIR, help="vendor folder")
    parser.add_argument("--check", action="store_true", help="only report missing files")
    parser.add_argument("--force", action="store_true", help="fetch again even if present")
    args = parser.parse_args(argv)
    if args.check:
        missing = missing_files(args.dir)
        for path in missing:
            print(f"missing: {path}")
        return 1 if missing else 0
    fetched = fetch_vendor_assets(args.dir, force=args.force)
    print(f"fetched {len(fetched)} package(s) into {args.dir}" if fetched
          else f"all map assets already present in {args.dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``geosoc app``: set up what the app needs and launch it (works from an installed package).

Checks the offline map files (fetched with ``npm pack`` when missing), generates the demo
town when missing, then runs Streamlit on :mod:`geosoc.ui.entry` with the options of
:data:`STREAMLIT_OPTIONS` (the same as the repository's ``.streamlit/config.toml``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

import geosoc
from geosoc.cli import SUBCOMMANDS
from geosoc.errors import ConfigError, Problem

#: Streamlit settings (kept equal to ``.streamlit/config.toml`` by a test).
STREAMLIT_OPTIONS: dict[str, str] = {
    "server.enableStaticServing": "true",
    "server.headless": "true",
    "server.runOnSave": "false",
    "server.maxUploadSize": "500",
    "runner.postScriptGC": "false",
    "browser.gatherUsageStats": "false",
    "client.toolbarMode": "minimal",
    "client.showErrorDetails": "none",
    "theme.base": "light",
    "theme.primaryColor": "#1f4e79",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``geosoc app`` to the top-level parser."""
    parser = subparsers.add_parser(
        "app", help=SUBCOMMANDS["app"],
        description="Fetch the offline map files and the demo town if missing, then start the "
        "Streamlit app (settings from $GEOSOC_CONFIG).")
    parser.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    parser.add_argument("--address", default="localhost",
                        help="address to listen on (default localhost)")
    parser.add_argument("--check", action="store_true",
                        help="set up and print the command, but do not start the server")
    parser.set_defaults(func=run)


def streamlit_command(port: int, address: str) -> list[str]:
    """Return the ``python -m streamlit run`` command line for the packaged entry."""
    entry = Path(geosoc.__file__).resolve().parent / "ui" / "entry.py"  # a path, not an import
    command = [sys.executable, "-m", "streamlit", "run", str(entry),
               "--server.port", str(port), "--server.address", address]
    for key, value in STREAMLIT_OPTIONS.items():
        command += [f"--{key}", value]
    return command


def run(args: argparse.Namespace) -> int:
    """Set up the map files and demo town, then replace this process with Streamlit."""
    from geosoc.maps.vendor import VENDOR_DIR, fetch_vendor_assets, missing_files
    from geosoc.synth.demo import ensure_demo

    if missing_files():
        if shutil.which("npm") is None:
            raise ConfigError("the offline map files are missing and npm is not installed", [
                Problem(f"no Leaflet files in {VENDOR_DIR}",
                        fix="install Node's npm (apt-get install npm) and run geosoc app again; "
                            "npm fetches Leaflet from the npm registry once")])
        print(f"fetching offline map files into {VENDOR_DIR} ...", flush=True)
        fetch_vendor_assets()
    print(f"demo town: {ensure_demo()}", flush=True)
    command = streamlit_command(args.port, args.address)
    if args.check:
        print(" ".join(command))
        return 0
    os.execv(sys.executable, command)  # noqa: S606  (fixed argv, our own entry script)
    return 0  # pragma: no cover  (execv does not return)

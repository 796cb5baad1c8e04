"""The base map of a pack written by the CLI: ``$GEOSOC_CONFIG``'s tiles and context."""

from __future__ import annotations

import os
from pathlib import Path

from geosoc.report.pack_base import PackBase


def configured_pack_base(bounds: tuple[float, float, float, float], *,
                         demo: bool) -> PackBase:
    """Return the pack base of the installation's settings for ``bounds`` (EPSG:4326).

    The settings file is ``$GEOSOC_CONFIG`` (as for the app); with ``demo`` and no tiles
    configured, the demo town's own context layers.
    """
    from geosoc.config import load_config
    from geosoc.report.pack_base import pack_base
    from geosoc.synth.demo import DEFAULT_DEMO_DIR

    settings = load_config(os.environ.get("GEOSOC_CONFIG"))
    demo_dir = Path(os.environ.get("GEOSOC_DEMO_DIR", DEFAULT_DEMO_DIR))
    return pack_base(settings, bounds=bounds, demo_context=demo_dir / "context" if demo else None)

"""Start-up work of the app, cached once per process: warm-ups and the daily retention run.

A sibling of :mod:`geosoc.ui.cache` (the caching seam), kept apart so that module stays
about studies and layers.
"""

from __future__ import annotations

import importlib
import threading

import streamlit as st

from geosoc import hotspots
from geosoc.disclosure.rules import Role
from geosoc.ui import cache, state
from geosoc.workspace import Workspace


@st.cache_resource(show_spinner=False)
def start_hotspot_warm_up() -> threading.Thread:
    """Warm the hotspot code up once per process in a background thread."""
    thread = threading.Thread(target=hotspots.warm_up, name="geosoc-hotspot-warm-up",
                              daemon=True)
    thread.start()
    return thread


#: Modules the pages need that are slow to import (folium, pydeck, charts), imported by the
#: preload thread so the first page after sign-in does not pay for them.
#: (Not streamlit_folium: its component must be declared from the script thread.)
PRELOADED_MODULES = ("folium", "pydeck", "geosoc.maps.deck", "geosoc.hotspots.concentration",
                     "geosoc.report.interactive_charts", "geosoc.sites",
                     "geosoc.phases.readings")


@st.cache_resource(show_spinner=False)
def start_demo_preload(directory: str) -> threading.Thread:
    """Load the demo town and its default profile view in the background, once per process.

    Started while the sign-in page is shown (when no workspace of a force is installed), so
    choosing demo mode rarely waits.
    """

    def preload() -> None:
        for module in PRELOADED_MODULES:
            importlib.import_module(module)
        key = directory + cache._harm_tag()
        study = cache._study(key)
        months = study.months
        default = state.Filters(months=(months[0], months[-1]) if months else ())
        cache.cell_layer(key, default, 9, Role.ANALYST.value)
        cache.monthly(key, default, Role.ANALYST.value, by="source")

    thread = threading.Thread(target=preload, name="geosoc-demo-preload", daemon=True)
    thread.start()
    return thread


@st.cache_resource(show_spinner=False, max_entries=32)
def retention_applied(workspace: str, day: str) -> tuple[str, ...]:
    """Apply retention to ``workspace`` once per ``day`` per process; return what it deleted.

    Datasets past their delete-by date are deleted (files and rows), audited as geosoc's
    own retention (:func:`geosoc.workspace.retention.apply_retention`).
    """
    from geosoc.workspace.retention import apply_retention

    with Workspace.open(workspace, create=False) as ws:
        return tuple(d["dataset"] for d in apply_retention(ws))

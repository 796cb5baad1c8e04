"""Start-up work of the app, cached once per process: warm-ups and the daily retention run.

A sibling of :mod:`geosoc.ui.caching.studies` (the caching seam), kept apart so that module stays
about studies and layers.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
import time
from collections.abc import Iterator

import streamlit as st

from geosoc import hotspots
from geosoc.disclosure.rules import Role
from geosoc.ui import state
from geosoc.ui.caching import studies
from geosoc.workspace import Workspace


class Activity:
    """How many page scripts are running in this process, and since when none has.

    Background loading (the points a later page needs) waits until no script has run for a
    while, so on two cores it does not compete with the page a person is waiting for
    (measured on 1M rows: a Profile month change took 12 s instead of 4.5 s while the points
    were being read; a shorter interpreter switch interval did not help, so it is the
    cores, not the interpreter lock).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._since = time.monotonic()

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        """Count a page script as running for the duration of the ``with`` block."""
        with self._lock:
            self._running += 1
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
                self._since = time.monotonic()

    def idle_seconds(self) -> float:
        """Return how long no script has been running (0 while one is)."""
        with self._lock:
            return 0.0 if self._running else time.monotonic() - self._since

    def wait_until_idle(self, seconds: float, *, poll_s: float = 0.2,
                        give_up_s: float = 120.0) -> None:
        """Block until no script has run for ``seconds`` (or ``give_up_s`` have passed)."""
        deadline = time.monotonic() + give_up_s
        while self.idle_seconds() < seconds and time.monotonic() < deadline:
            time.sleep(poll_s)


@st.cache_resource(show_spinner=False)
def activity() -> Activity:
    """Return the process's :class:`Activity` (shared by every session)."""
    return Activity()


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
        key = directory + studies._harm_tag()
        study = studies._study(key)
        months = study.months
        default = state.Filters(months=(months[0], months[-1]) if months else ())
        studies.cell_layer(key, default, 9, Role.ANALYST.value)
        studies.monthly(key, default, Role.ANALYST.value, by="source")

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

"""The app at force scale: every page and interaction timed in headless chromium.

Generates its own workspace (``bench/app_scale_data.py``: synthetic police.uk points over the
654 London wards, analyst ``ana``, a saved site with a Clear and an open Hold), starts the
real app on it, signs in as the analyst and times, per dataset size:

* each page's first load (click in the navigation until the rerun has finished and every
  map on the page has drawn its shapes);
* the interactions of the issue (month range on the sidebar, the Gi* layer...).

A rerun's end is read from Streamlit's websocket (the ``script_finished`` message, decoded
with Streamlit's own protobuf classes), so a page that keeps drawing after its last message
is timed to its last shape, and one that ends with nothing new is not timed to a guess. MB
is what the server sent during the step. Targets: first load < 5 s, interaction < 2 s.

Run: ``python bench/bench_app_scale.py [--rows 1000000 3000000] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError

from geosoc.ui.testing.browser import MAP_FRAME, MAP_SHAPES, AppSession, app_browser
from geosoc.ui.testing.server import app_server
from geosoc.ui.testing.wire import Wire, attach

try:  # run as a script from the repository root or bench/
    from app_scale_data import PASSWORD, build_workspace
except ImportError:  # pragma: no cover
    from bench.app_scale_data import PASSWORD, build_workspace

FIRST_LOAD_S = 5.0
INTERACTION_S = 2.0
#: Seconds on the sign-in page before signing in (the server starts loading meanwhile).
SIGN_IN_READ_S = 3.0
DECK = '[data-testid="stDeckGlJsonChart"] canvas'


def _shape_counts(app: AppSession) -> list[int]:
    counts = []
    for handle in app.page.query_selector_all(MAP_FRAME):
        frame = handle.content_frame()
        if frame is None:
            counts.append(0)
            continue
        try:
            counts.append(int(frame.evaluate(
                f"() => document.querySelectorAll('{MAP_SHAPES}').length")))
        except PlaywrightError:
            counts.append(0)
    counts += [1] * len(app.page.query_selector_all(DECK))
    return counts


def timed(app: AppSession, wire: Wire, action: Callable[[], None], *,
          maps: int = 1, timeout_s: float = 300.0) -> tuple[float, float, int, float, int]:
    """Run ``action``; return (seconds, MB, map shapes, server seconds, reruns) once settled.

    Server seconds: from the action to the end of the last rerun it caused (the rest of
    ``seconds`` is the browser drawing).

    Settled: at least one rerun finished after the action, no rerun started in the next
    0.4 s, ``maps`` maps show shapes and their shape counts did not change for 0.3 s.
    """
    start = time.perf_counter()
    bytes_before = wire.received
    action()
    deadline = start + timeout_s
    # the rerun the action asked for: a message from the page after the action, then a
    # finished rerun after that message (an earlier rerun ending does not count)
    while not [t for t in wire.sent if t >= start] or not [
            t for t in wire.finished if t > min(s for s in wire.sent if s >= start)]:
        if time.perf_counter() > deadline:
            raise TimeoutError("no rerun finished")
        app.page.wait_for_timeout(50)
    while True:  # let follow-up reruns (st.rerun, a component's first value) finish
        seen = len(wire.finished)
        app.page.wait_for_timeout(400)
        if len(wire.finished) == seen and not app.page.query_selector(
                '[data-testid="stStatusWidget"]'):
            break
    last = wire.finished[-1]
    drawn, previous = last, None
    while maps:
        counts = _shape_counts(app)
        ready = len(counts) >= maps and all(n > 0 for n in counts[:maps])
        if ready and counts == previous:
            break
        if not ready or (previous is not None and counts != previous):
            drawn = time.perf_counter()  # still drawing (or redrawn since the last look)
        previous = counts
        if time.perf_counter() > deadline:
            raise TimeoutError(f"maps not drawn: {counts}")
        app.page.wait_for_timeout(300)
    seconds = max(last, drawn) - start
    last = wire.finished[-1]  # reruns that ended while the maps were drawing count too
    reruns = len([t for t in wire.finished if t >= start])
    return (seconds, (wire.received - bytes_before) / 1e6, sum(_shape_counts(app) or [0]),
            last - start, reruns)


def sign_in(app: AppSession) -> None:
    """Fill the sign-in form (the workspace field defaults to $GEOSOC_WORKSPACE)."""
    app.page.get_by_role("textbox", name="User name").fill("ana")
    app.page.get_by_role("textbox", name="Password").fill(PASSWORD)
    app.page.get_by_role("button", name="Sign in").click()


def move_first_month(app: AppSession, steps: int = 1) -> Callable[[], None]:
    """Return an action moving the sidebar's first month ``steps`` months later."""

    def action() -> None:
        thumb = app.page.locator('[data-testid="stSidebar"] input[type="range"]').first
        thumb.focus()
        for _ in range(steps):
            thumb.press("ArrowRight")

    return action


def run_size(rows: int, out: Path, workspace: Path | None = None
             ) -> list[tuple[str, float, float, int, float]]:
    """Build the workspace of ``rows`` points and time every step; return the rows.

    ``workspace``: an existing one (from ``app_scale_data.py``) instead of a new one.
    """
    if workspace is None:
        made = build_workspace(out, rows)
        workspace = Path(made["workspace"])
        print(f"{rows:,} rows: CSV {made['csv']:.1f} s, ingest wards "
              f"{made['ingest_wards']:.1f} s, police {made['ingest_police']:.1f} s", flush=True)
    out.mkdir(parents=True, exist_ok=True)
    results: list[tuple[str, float, float, int, float]] = []
    log = out / "server.log"
    env = {"GEOSOC_WORKSPACE": str(workspace)}
    with app_server(env=env, log=log, timeout_s=180) as url, app_browser(url) as app:
        wire = attach(app)
        app.open()
        app.page.wait_for_timeout(SIGN_IN_READ_S * 1000)  # a person types their password

        def step(name: str, action: Callable[[], None], target: float, maps: int = 1) -> None:
            if os.environ.get("BENCH_TRACE"):
                print(f"  @ {time.time():.2f} {name}", flush=True)
            seconds, mb, shapes, server, reruns = timed(app, wire, action, maps=maps)
            results.append((name, seconds, mb, shapes, target))
            print(f"  {name:<44} {seconds:6.1f} s (server {server:5.1f} s, {reruns} reruns) "
                  f"{mb:7.2f} MB "
                  f"{shapes:7,d} shapes", flush=True)

        step(f"Locality profile, first load (sign-in after {SIGN_IN_READ_S:g} s)",
             lambda: sign_in(app), FIRST_LOAD_S)
        step("Profile: change the month range", move_first_month(app), INTERACTION_S)
        step("Profile: layer -> Gi* hot spots",
             lambda: app.page.get_by_text("Gi* hot spots", exact=True).first.click(),
             INTERACTION_S)
        step("Profile: layer -> harm", lambda: app.page.get_by_text(
            "Harm or count", exact=True).first.click(), INTERACTION_S)
        step("Sites, first load", lambda: app.go_to("Sites"), FIRST_LOAD_S)
        step("Sites: change the month range", move_first_month(app), INTERACTION_S)
        # on a force's cells the month player and linked maps step aside (too many cells
        # for folium): the page draws its site-and-rings map
        step("Phases (site saved), first load",
             lambda: app.go_to("Phases & displacement"), FIRST_LOAD_S)
        step("Phases: change the month range", move_first_month(app), INTERACTION_S)
        step("Community assets, first load", lambda: app.go_to("Community assets"),
             FIRST_LOAD_S)
        step("Launch presentation, first load", lambda: app.go_to("Launch presentation"),
             FIRST_LOAD_S)
        step("Locality profile, back again", lambda: app.go_to("Locality profile"),
             FIRST_LOAD_S)
        errors = app.alerts() + app.page_errors
        if app.blocked or errors:
            print(f"  blocked requests: {app.blocked}; errors: {errors}")
    return results


def main() -> None:
    """Run every size and print the table (markdown, for the README)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 3_000_000])
    parser.add_argument("--keep", type=Path, help="keep the generated data in this folder")
    parser.add_argument("--workspace", type=Path,
                        help="time an existing workspace instead (one size)")
    args = parser.parse_args()
    load = os.getloadavg()
    table: dict[str, dict[int, tuple[float, float]]] = {}
    targets: dict[str, float] = {}
    for rows in args.rows:
        out = (args.keep / f"{rows}") if args.keep else Path(tempfile.mkdtemp(prefix="appscale"))
        try:
            for name, seconds, mb, _, target in run_size(rows, out, args.workspace):
                table.setdefault(name, {})[rows] = (seconds, mb)
                targets[name] = target
        finally:
            if not args.keep and not args.workspace:
                shutil.rmtree(out, ignore_errors=True)
    after = os.getloadavg()
    print(f"\nload average before {load[0]:.2f}, after {after[0]:.2f} "
          f"(2 cores, shared); chromium headless, one run each")
    header = " | ".join(f"{r / 1e6:g}M rows" for r in args.rows)
    print(f"| page / interaction | {header} | target |")
    print("|---|" + "---|" * len(args.rows) + "---|")
    for name, by_rows in table.items():
        cells = " | ".join(f"{by_rows[r][0]:.1f} s ({by_rows[r][1]:.1f} MB)"
                           if r in by_rows else "-" for r in args.rows)
        print(f"| {name} | {cells} | < {targets[name]:g} s |")


if __name__ == "__main__":
    main()

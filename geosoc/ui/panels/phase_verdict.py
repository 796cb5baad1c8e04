"""The Phases page's answer: the site's one evaluation, verdict first, evidence in sections.

Every sentence comes from :class:`geosoc.phases.site_evaluation.SiteEvaluation` (the same
result ``geosoc phases report``, ``geosoc phases watch`` and the review pack print); this
panel only lays it out: the verdict, then change in the site, displacement in the rings,
the Hold watch and community perception, each with its detail table in an expander. The
published measures are numbers in a table under their own names, never a verdict.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geosoc.phases.evaluation import CANNOT
from geosoc.phases.site_evaluation import DESCRIPTIVE_NOTE, SiteEvaluation
from geosoc.phases.watch import watch_digest
from geosoc.ui.panels.tables import show_table

WATCH_COLUMNS = ("month", "zone", "kind", "observed", "expected", "ratio", "donor_ratio", "p",
                 "alert", "status", "reading")


def render_verdict(result: SiteEvaluation) -> None:
    """Draw the one verdict and its method."""
    verdict = result.verdict
    text = str(verdict.get("reading", CANNOT))
    box = (st.success if verdict.get("claim") else
           st.warning if verdict.get("verdict") == CANNOT else st.info)
    box(f"**Verdict (as of {result.as_of}):** {text}")
    st.caption(f"Method: {verdict.get('method', '')}. On the police records, every category "
               "(as the phase report and the review pack; the sidebar's filters apply to the "
               "maps and charts). Every line below comes from this evaluation; the published "
               "measures are shown as numbers only.")


def _lines(tests: pd.DataFrame) -> None:
    for line in tests["reading"]:
        st.markdown(f"- {line}")


def render_change(result: SiteEvaluation, phase_table: pd.DataFrame | None = None) -> None:
    """Draw the calibrated lines for the site, then the published change in an expander."""
    st.subheader("Change in the site")
    tests = result.tests
    if len(tests):
        _lines(tests[tests["zone"] == "site"])
    with st.expander("Published change per phase (numbers, no verdict)"):
        if phase_table is not None and len(phase_table):
            st.dataframe(phase_table, hide_index=True, width="stretch")
        st.caption("Raw % change and the Poisson rate ratio against the baseline; the "
                   "calibrated lines above say whether a change stands out.")


def render_displacement(result: SiteEvaluation) -> None:
    """Draw the calibrated lines for the rings, then WDQ/WDD as numbers in an expander."""
    st.subheader("Displacement or diffusion in the rings")
    tests = result.tests
    if len(tests):
        _lines(tests[tests["zone"] != "site"])
    with st.expander("Published measures: WDQ, WDD, rate ratio, raw % change"):
        st.caption(DESCRIPTIVE_NOTE)
        if len(result.descriptive):
            show_table(result.descriptive, drop_repeats=False)


def render_watch(result: SiteEvaluation) -> None:
    """Draw the Hold watch: the digest line(s) first, every month's reading in an expander."""
    st.subheader("The Hold watch")
    watch = result.watch
    if watch.empty:
        st.info("No Hold month in the data yet.")
        return
    for line in watch_digest(watch, watch["month"].min()):
        st.markdown(f"- {line}")
    st.caption(f"Family-wise over {watch['zone'].nunique()} zones x {watch['month'].nunique()} "
               "Hold months: an alert needs two months in a row above what comparable areas "
               "allow, or one month far above.")
    with st.expander("Every Hold month, zone by zone"):
        shown = [c for c in WATCH_COLUMNS if c in watch.columns]
        show_table(watch, shown, drop_repeats=False)


def perception_waves(user: object | None, site: str) -> pd.DataFrame | None:
    """Return the site's perception survey waves (demo: the seeded ones), or None."""
    from geosoc.errors import GeosocError
    from geosoc.synth.demo import read_demo_operations
    from geosoc.ui.caching import studies
    from geosoc.workspace import Workspace

    if user is None:
        return None
    try:
        if getattr(user, "demo", False):
            return read_demo_operations(studies.demo_dir()).waves
        with Workspace.open(studies.workspace_path(user), create=False) as ws:
            return ws.operations.waves(site)
    except GeosocError:
        return None


def render_perceptions(waves: pd.DataFrame | None) -> None:
    """Draw the perception survey waves and the change from the first to the last wave."""
    from geosoc.operations import compare_waves

    st.subheader("Community perception")
    if waves is None or waves.empty:
        st.info("No perception survey waves recorded for this site.")
        return
    labels = list(dict.fromkeys(waves["wave"]))
    st.markdown(f"{len(labels)} survey wave(s): {', '.join(map(str, labels))}.")
    shares = (waves.groupby(["question", "response", "wave"], sort=False)["respondents"]
              .sum(min_count=1).unstack("wave").reindex(columns=labels))
    with st.expander("Respondents per wave"):
        show_table(shares.reset_index(), drop_repeats=False)
    if len(labels) >= 2:
        changed = compare_waves(waves, labels[0], labels[-1])
        st.caption(f"Survey change from {labels[0]} to {labels[-1]} (a test of the survey "
                   "answers, separate from the crime verdict above).")
        with st.expander("Change between the first and the last wave"):
            show_table(changed if isinstance(changed.index, pd.RangeIndex)
                       else changed.reset_index(), drop_repeats=False)

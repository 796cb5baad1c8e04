"""The running of a site on the Phases page: the 4P log beside harm, adding an activity, the review.

Analysts and partners add activities (a partner for their own agency only; the library
checks); everyone but the public sees the log as their role allows it (the library decides);
the 6-month review pack is rendered for the viewer's role and its download is audited.
Demo mode shows the demo site's seeded record, read-only.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import altair as alt
import pandas as pd
import streamlit as st

from geosoc.disclosure import Role
from geosoc.errors import GeosocError
from geosoc.operations import ACTIVITY_TYPES, PILLARS, agency_share, pillar_balance
from geosoc.operations.activities import phase_of
from geosoc.operations.morile import morile_for_role
from geosoc.report.review_inputs import demo_review_inputs, workspace_review_inputs
from geosoc.report.review_pack import render_review_pack
from geosoc.report.table_labels import display_table
from geosoc.synth.demo import load_demo, read_demo_operations
from geosoc.ui import state
from geosoc.ui.caching import studies
from geosoc.ui.feedback import show_error
from geosoc.ui.panels.tables import show_table
from geosoc.workspace import Workspace


def _record(user: state.SessionUser, site: str,
            role: Role) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Return the site's activities (as ``role`` sees them), MoRiLE series, user's agency.

    One workspace read per rerun; demo mode reads the demo's seeded record.
    """
    if user.demo:
        ops = read_demo_operations(studies.demo_dir())
        return ops.activities, ops.morile, ""
    with Workspace.open(studies.workspace_path(user), create=False) as ws:
        return (ws.operations.activities(site, user=user.username, role=role.value),
                ws.operations.morile(site), ws.operations.agency_of(user.username))


def activity_chart(activities: pd.DataFrame, harm: pd.DataFrame | None) -> alt.Chart:
    """Stacked activities per month by pillar, with the site's monthly harm above it."""
    per_month = (activities.assign(month=activities["date"].dt.to_period("M").dt.to_timestamp())
                 .groupby(["month", "pillar"]).size().rename("activities").reset_index())
    bars = alt.Chart(per_month).mark_bar().encode(
        x=alt.X("yearmonth(month):T", title="Month"),
        y=alt.Y("activities:Q", title="Activities recorded"),
        color=alt.Color("pillar:N", scale=alt.Scale(domain=list(PILLARS)), title="4P pillar"),
        tooltip=["yearmonth(month):T", "pillar:N", "activities:Q"]).properties(height=180)
    if harm is None or harm.empty:
        return bars
    line = alt.Chart(harm.assign(month=harm["month"].dt.to_timestamp())).mark_line(
        point=True, color="#b2182b").encode(
        x=alt.X("yearmonth(month):T", title=None),
        y=alt.Y("harm:Q", title="Harm in the site (days)"),
        tooltip=["yearmonth(month):T", alt.Tooltip("harm:Q", format=",.0f")]
    ).properties(height=160)
    return alt.vconcat(line, bars).resolve_scale(x="shared")


def morile_chart(series: pd.DataFrame) -> alt.Chart:
    """MoRiLE score over time, one line per opaque OCG reference, values on hover."""
    return alt.Chart(series.assign(ocg_ref=series["ocg_ref"].replace("", "site"))).mark_line(
        point=True).encode(
        x=alt.X("date:T", title="Assessment date"),
        y=alt.Y("score:Q", title="MoRiLE score"),
        color=alt.Color("ocg_ref:N", title="OCG reference"),
        tooltip=["date:T", "ocg_ref:N", "score:Q"]).properties(height=200)


def _add_form(user: state.SessionUser, site: str, role: Role, own: str) -> None:
    with st.form("ops_add", clear_on_submit=True):
        st.markdown("**Add an activity**")
        left, right = st.columns(2)
        day = left.date_input("Date", value=date.today(), max_value=date.today(),
                              key="ops_date")
        pillar = left.selectbox("4P pillar", PILLARS, key="ops_pillar")
        kind = left.selectbox("Activity type", ACTIVITY_TYPES, key="ops_type")
        agency = right.text_input("Agency", value=own, disabled=role is not Role.ANALYST,
                                  key="ops_agency",
                                  help="Partners record their own agency's activities.")
        outcome = right.text_input("Outcome", key="ops_outcome")
        notes = right.text_area("Notes (never shown to the public)", key="ops_notes")
        if not st.form_submit_button("Add activity"):
            return
    row = pd.DataFrame([{"date": f"{day:%Y-%m-%d}", "pillar": pillar, "activity_type": kind,
                         "agency": agency if role is Role.ANALYST else own,
                         "outcome": outcome, "notes": notes}], dtype="object")
    try:
        with Workspace.open(studies.workspace_path(user), create=False) as ws:
            ws.operations.import_activities(site, row, user=user.username, role=role.value,
                                            source="Phases page")
    except GeosocError as error:
        show_error(error)
    else:
        st.success("Activity added (and audited).")


def _review_pack(user: state.SessionUser, site: str, role: Role, months: list[str],
                 incidents: pd.DataFrame) -> None:
    st.markdown("**6-month review pack** (standalone HTML, prints to A4)")
    now = pd.Period(date.today(), freq="M")
    first = pd.Period(months[0], freq="M")
    choices = [str(m) for m in pd.period_range(first, max(now, pd.Period(months[-1], "M")),
                                               freq="M")]
    as_of = st.selectbox("Review month", choices[::-1], key="ops_as_of",
                         help="Activities up to this month; harm up to the data's last month.")
    if not st.toggle("Prepare the review pack", key="ops_pack"):
        return
    period = pd.Period(as_of, freq="M")
    try:
        if user.demo:
            inputs = demo_review_inputs(load_demo(studies.demo_dir()), period,
                                        role=role.value)
        else:
            with Workspace.open(studies.workspace_path(user), create=False) as ws:
                inputs = workspace_review_inputs(ws, site, period, incidents=incidents,
                                                 user=user.username, role=role.value)
        page = render_review_pack(inputs, role=role, generated_at=datetime.now(UTC))
    except GeosocError as error:
        show_error(error)
        return
    name = f"review-{site}-{as_of}.html".replace(" ", "-")
    if st.download_button("Download the review pack", page, file_name=name, mime="text/html",
                          key="ops_download"):
        with Workspace.open(studies.workspace_path(user)) as ws:
            ws.record(who=user.username, role=user.role.value, action="export.review",
                      target=f"export:{name}", purpose="CHB 6-month review",
                      details={"site": site, "audience": role.value, "as_of": as_of})


def render(site: str, months: list[str], incidents: pd.DataFrame,
           harm: pd.DataFrame | None = None) -> None:
    """Draw the operations section of the Phases page for the signed-in user.

    Parameters
    ----------
    site : str
        The site's name.
    months : list of str
        Months of the data (``YYYY-MM``), for the review month choice.
    incidents : pandas.DataFrame
        The study's incidents (the review pack's leak scan and harm series).
    harm : pandas.DataFrame, optional
        The site's monthly ``month`` / ``harm`` series, drawn above the activities.
    """
    user = state.current_user()
    role = state.view_role()
    if user is None or role is Role.PUBLIC:
        return
    st.subheader("Running the site: activity and disruption (4P)")
    try:
        activities, morile, own_agency = _record(user, site, role)
    except GeosocError as error:
        show_error(error)
        return
    if activities.empty:
        st.info("No activity recorded for this site yet.")
    else:
        phases = list(dict.fromkeys(activities["phase"]))
        share = agency_share(activities)
        left, right = st.columns([3, 2])
        left.altair_chart(activity_chart(activities, harm), width="stretch")
        right.markdown("**Activities by pillar and phase**")
        balance = pillar_balance(activities, phases)
        right.dataframe(display_table(balance, ["pillar", *balance.columns], index="pillar",
                                      drop_repeats=False), hide_index=True, width="stretch")
        right.markdown("**Police and partner activity**")
        right.dataframe(display_table(share, ("phase", "police", "partners", "partner_share"),
                                      index="phase", drop_repeats=False),
                        hide_index=True, width="stretch")
        shown = activities.assign(date=activities["date"].dt.strftime("%Y-%m-%d"))
        st.dataframe(display_table(shown, list(shown.columns), drop_repeats=False),
                     hide_index=True, width="stretch", key="ops_log")
    if not user.demo and role in (Role.ANALYST, Role.PARTNER):
        _add_form(user, site, role, own_agency)
    if not morile.empty and role is Role.ANALYST:
        st.markdown("**MoRiLE threat scores** (groups by opaque reference only)")
        st.altair_chart(morile_chart(morile), width="stretch")
    elif not morile.empty:  # partners: the site-level trend only, never a group or a score
        plan = studies.current_view_study().plan
        if plan is None:
            st.caption("The MoRiLE trend is shown once the site has phase dates.")
        else:
            spans = pd.DataFrame({
                "phase": [p.name.split(" ")[0].lower() for p in plan.phases],
                "start_month": [pd.Period(str(p.start), freq="M") for p in plan.phases],
                "end_month": [pd.Period(str(p.end), freq="M") for p in plan.phases]})
            st.markdown("**Organised crime threat (MoRiLE), site trend by phase**")
            show_table(morile_for_role(morile, phase_of(morile["date"], spans), role.value))
    _review_pack(user, site, role, months, incidents)

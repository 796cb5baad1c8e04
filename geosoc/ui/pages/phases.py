"""Phases & displacement: did it work? The verdict first, then the evidence in sections.

The phase dates and the control are the inputs; the site's one evaluation
(:func:`geosoc.phases.site_evaluation.evaluate_site`, the same as ``geosoc phases report``,
``geosoc phases watch`` and the review pack) gives the verdict and every line under it
(:mod:`geosoc.ui.panels.phase_verdict`). Detail tables are folded in expanders.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geosoc import maps
from geosoc.disclosure.rules import Role
from geosoc.errors import GeosocError
from geosoc.harm import harm_unit
from geosoc.phases.change import PhasePlan, compare_phases, monthly_series
from geosoc.phases.plan import open_ended_steps
from geosoc.phases.rings import buffer_rings, suggest_control
from geosoc.report.table_labels import display_table, short_unit, unit_text
from geosoc.ui import state
from geosoc.ui.caching import basemaps, studies, views
from geosoc.ui.feedback import require_study, show_error
from geosoc.ui.maps.mapview import show_map
from geosoc.ui.panels import (
    charts,
    operations,
    partner_counts,
    phase_verdict,
    time_sections,
)
from geosoc.workspace import Workspace

role = state.view_role()
st.title("Phases & displacement")
if role is not Role.ANALYST:
    st.info("Phase tracking works on point-level data and is for analysts and coordinators. "
            "The Launch presentation page shows the public-safe figures.")
    partner_study = require_study()
    partner_counts.render_partner_series(partner_study, role, tuple(state.filters().months))
    if role is Role.PARTNER and not partner_study.site.empty:
        operations.render(str(partner_study.site.index[0]), partner_study.months,
                                partner_study.incidents)
    st.stop()
key = studies.study_key()
study = require_study()
filters = state.filters()
incidents = studies.filtered(state.Filters(categories=filters.categories, sources=filters.sources))

if study.site.empty:
    st.info("No CHB site recorded yet: draw or upload one on the Sites page and save it.")
    st.stop()
site_name = st.selectbox("Site", list(study.site.index), key="ph_site")
site = study.site.geometry.loc[site_name]

st.subheader("Phase dates")
default_plan = study.plan.to_dict() if study.plan else {"clear": [study.months[0]] * 2}
editor = st.data_editor(
    pd.DataFrame([{"phase": p, "first month": v[0],
                   "last month": "" if p == study.ongoing else v[1]}
                  for p, v in default_plan.items()]),
    key="ph_editor", hide_index=True, disabled=["phase"], width="stretch",
    column_config={"first month": st.column_config.TextColumn(help="YYYY-MM"),
                   "last month": st.column_config.TextColumn(
                       help="YYYY-MM; leave the last phase's blank while it is still running")})
# Rows keep their time order; a resumed phase is named "clear 2" and stored as "clear".
plan_steps, stored_steps, ongoing = open_ended_steps(
    [(r["phase"], r["first month"], r["last month"]) for r in editor.to_dict("records")],
    study.months[-1])
try:
    plan = PhasePlan.from_sequence(plan_steps)
    # Analyse only the months the data covers (missing months are not months of no crime).
    analysed, trim_notes = plan.within(study.months[0], study.months[-1])
except GeosocError as error:
    show_error(error)
    st.stop()
user = state.current_user()
if user is not None and not user.demo and st.button("Save phase dates", key="ph_save"):
    try:
        with Workspace.open(studies.workspace_path(user)) as ws:
            ws.sites.set_phases(site_name, stored_steps, user=user.username,
                                role=user.role.value)
    except GeosocError as error:
        show_error(error)
    else:
        st.success("Phase dates saved (and audited).")

for note in trim_notes:
    st.caption(f"Note: {note}.")
rings = buffer_rings(site, (0.0, *study.ring_bands_m))
baseline = (str(analysed.baseline.start), str(analysed.baseline.end))
try:
    controls = views.memo(("ph_control", key, filters.categories, filters.sources, site_name,
                           baseline, study.ring_bands_m), lambda: suggest_control(
        site, study.areas["ward"], incidents, baseline=baseline, exclude=rings.union_all()))
except GeosocError as error:
    show_error(error)
    st.stop()
control_code = st.selectbox(
    "Control area (wards whose baseline trend best matches the site, not touching the rings)",
    list(controls.index), key="ph_control",
    format_func=lambda c: f"{controls.loc[c, 'name']} (rank {controls.loc[c, 'rank']})")
control = study.areas["ward"].loc[[control_code]]


def _evaluate() -> object:
    from geosoc.phases.rings import adjacent_areas
    from geosoc.phases.site_evaluation import evaluate_site, evaluation_events

    # the same events as `geosoc phases report` and the review pack (police records, every
    # category), whatever the sidebar shows: one answer for the site
    return evaluate_site(evaluation_events(study.incidents), site, analysed, name=site_name,
                         bands_m=(0.0, *study.ring_bands_m), control=control.geometry.iloc[0],
                         neighbours=adjacent_areas(site, study.areas["ward"]))


st.header("Did it work?")
try:
    with st.spinner("Comparing the site and rings with comparable untreated areas…"):
        result = views.memo(("ph_result", key, site_name, str(analysed.to_dict()),
                             study.ring_bands_m, control_code), _evaluate)
except GeosocError as error:
    show_error(error)
    st.stop()
phase_verdict.render_verdict(result)

measure = st.radio("Measure", ("count", "harm"), horizontal=True, key="ph_measure")
table = views.memo(("ph_table", key, filters.categories, filters.sources, site_name,
                    str(analysed.to_dict())),
                   lambda: compare_phases(incidents, site, analysed, by=("source",)))
unit = harm_unit(incidents["category"].unique(), incidents["source"].unique())
wanted = {"phase": None, "layer": None, "source": None, "months": None,
          "count": "Events in the phase", "harm": f"Harm in the phase ({short_unit(unit)})",
          f"{measure}_pct_change": None, "rate_ratio": None, "rr_p": None}
phase_verdict.render_change(result, display_table(table, wanted, unit=unit))
map_col, chart_col = st.columns([2, 3])
with map_col:
    m = basemaps.base_map(boundaries=study.areas["ward"], bounds=tuple(rings.total_bounds))
    maps.rings_layer(rings, label="ring").add_to(m)
    maps.outline_layer(control, name="Control", label="name", colour="#1b9e77", weight=2.5,
                       fill_opacity=0.1).add_to(m)
    maps.site_layer(study.site.loc[[site_name]]).add_to(m)
    show_map(m, key="phases_map", height=420,
             content_key=(key, site_name, control_code, study.ring_bands_m))
with chart_col:
    zones = {"site": site, **dict(zip(rings["ring"], rings.geometry, strict=True)),
             "control": control.geometry.iloc[0]}
    series = views.memo(("ph_series", key, filters.categories, filters.sources,
                         site_name, control_code, str(analysed.to_dict()),
                         study.ring_bands_m),
                        lambda: monthly_series(incidents, zones, months=analysed.span))
    charts.phase_panel(series, analysed, measure=measure, site=site_name,
                       months=filters.months, last_month=study.months[-1], ongoing=ongoing)
st.caption(f"Harm in {unit_text(unit)}. Changes compare each phase's monthly rate with the "
           "baseline's.")

phase_verdict.render_displacement(result)
partner_counts.render_phases(study, site_name, analysed, control_code, measure)
phase_verdict.render_watch(result)

time_sections.render_time_sections(
    study, key=key, filters=filters, kind="h3", resolution=9, role=role, measure=measure,
    label=measure.capitalize(), columns=[measure], prefix="ph",
    shapes=studies.cell_layer(key, filters, 9, role.value, False),
    bounds=tuple(rings.total_bounds),
    phases={p.name: (str(p.start), str(p.end)) for p in analysed.phases})

site_harm = series[series["zone"] == "site"][["month", "harm"]]
operations.render(site_name, study.months, study.incidents, harm=site_harm)
phase_verdict.render_perceptions(phase_verdict.perception_waves(user, site_name))

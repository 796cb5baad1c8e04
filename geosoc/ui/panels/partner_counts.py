"""Partner area counts and vulnerability signals on the Profile, Sites and Phases pages.

Thin: every number comes from :mod:`geosoc.ui.caching.partners` (disclosed for non-analysts by
:mod:`geosoc.disclosure.count_tables`); this module only draws controls, maps and tables.
"""

from __future__ import annotations

import folium
import pandas as pd
import streamlit as st

from geosoc import maps
from geosoc.aggregate.apportion import APPORTION_METHODS
from geosoc.disclosure.rules import Role, rules_for
from geosoc.maps import deck
from geosoc.maps.legend import BinnedScale
from geosoc.maps.partner import deck_area_map, partner_title, signal_scale
from geosoc.report.readable import total_text
from geosoc.report.table_labels import source_label
from geosoc.ui.caching import basemaps, partners, studies
from geosoc.ui.maps.mapview import show_legend, show_map
from geosoc.ui.panels.tables import show_table
from geosoc.ui.study import Study

TREATMENT_LABELS = {"harm": "in harm (own weight)", "indicator": "separate indicator"}
GEOGRAPHIES = ("Shared areas", "H3 cells (apportioned)")


#: Session key (not a widget key, so it survives page switches) of the treatment choice.
CHOICE_KEY = "pc_treatment"


def treatment_choice(study: Study) -> tuple[tuple[str, str], ...]:
    """Return the user's harm/indicator choice per partner count source (session state).

    Set on the Profile page; the Sites and Phases pages use the same choice.
    """
    bundle = study.partner_counts
    if bundle is None:
        return ()
    chosen = dict(st.session_state.get(CHOICE_KEY, {}))
    return tuple((s, str(chosen.get(s, bundle.treatment[s])))
                 for s in bundle.sources() if bundle.treatment[s] != "signal")


def _treatment_controls(study: Study) -> tuple[tuple[str, str], ...]:
    bundle = study.partner_counts
    choosable = [s for s in bundle.sources() if bundle.treatment[s] != "signal"]
    current = dict(treatment_choice(study))
    cols = st.columns(max(1, len(choosable)))
    chosen = {source: col.radio(f"{source}", list(TREATMENT_LABELS), key=f"pc_treat_{source}",
                                index=list(TREATMENT_LABELS).index(current[source]),
                                format_func=TREATMENT_LABELS.get, horizontal=True)
              for col, source in zip(cols, choosable, strict=False)}
    st.session_state[CHOICE_KEY] = chosen
    return treatment_choice(study)


def _map(frame: pd.DataFrame, value: str, scale: BinnedScale, title: str,
         study: Study, key: str) -> None:
    """Draw the layer with folium, or with pydeck above the profile's folium limit."""
    if len(frame) > deck.FOLIUM_CELL_LIMIT:
        if "h3_resolution" in frame.attrs or frame.index.name == "h3":
            chart = deck.deck_hex_map(frame, value, scale, bounds=study.bounds)
        else:
            chart = deck_area_map(frame, value, scale)
        st.pydeck_chart(chart, key=key)
        return
    m = basemaps.base_map(boundaries=study.areas["ward"])
    tooltip = {"name": "Area"} if "name" in frame.columns else {}
    group = folium.FeatureGroup(name=title)
    maps.value_layer(frame, value, scale, name=title,
                     tooltip={**tooltip, value: title}).add_to(group)
    maps.site_layer(study.site).add_to(m)
    show_map(m, key=key, height=460, feature_group=group)


def _layer(key: str, months: tuple[str, ...], source: str, role: Role, geography: str,
           method: str) -> tuple[pd.DataFrame, str, str | None]:
    """Return the disclosed layer, its unit name and apportioning method (None: shared areas)."""
    if geography == GEOGRAPHIES[0]:
        frame = partners.areas(key, months, source, role.value)
        return frame, str(frame.attrs.get("area_kind", "area")).replace("_", " "), None
    resolution = min(8, rules_for(role).finest_h3_resolution)
    return partners.cells(key, months, source, resolution, method, role.value), \
        f"H3 r{resolution} cell", method


def render_profile(study: Study, role: Role, months: tuple[str, ...],
                   incident_harm: float | None) -> None:
    """Partner area counts (layers, harm totals) and vulnerability signals on the Profile.

    ``incident_harm`` is the page's disclosed headline harm of the incidents (days).
    """
    bundle = study.partner_counts
    st.subheader("Partner area counts")
    if bundle is None:
        st.caption("No partner area counts loaded (geosoc ingest FILE --kind counts).")
        return
    st.caption("Counts partners share per area and month (health, housing, youth...). "
               "Each source counts in harm with its own weight (days per event, from the "
               "harm weights table) or stays a separate indicator; vulnerability signals "
               "are always their own layer, never harm.")
    key = studies.study_key()
    if bundle.unmatched and role is Role.ANALYST:
        st.warning("Partner count rows whose area code matches no stored boundary were left "
                   "out: " + ", ".join(f"{s}: {n:,}" for s, n in bundle.unmatched.items())
                   + ". Load the boundaries they refer to (LSOA, ward or postcode sector).")
    treatment = _treatment_controls(study)
    table = partners.totals(key, months, role.value, treatment)
    shown = table.assign(treatment=table["treatment"].map(
        {"harm": "in harm", "indicator": "indicator", "signal": "vulnerability signal"}))
    show_table(shown, index="source", study=study)
    in_harm = table[table["treatment"] == "harm"]
    police_harm = incident_harm
    cols = st.columns(2)
    partner_harm = in_harm["harm"].sum(min_count=1) if in_harm["harm"].notna().all() else None
    cols[0].metric("Partner area-count harm (days)",
                   "suppressed" if partner_harm is None else f"{partner_harm:,.0f}")
    both = None if partner_harm is None or police_harm is None else police_harm + partner_harm
    cols[1].metric("Harm incl. partner area counts (days)",
                   "suppressed" if both is None else f"{both:,.0f}",
                   help="Incidents' harm (all point sources) plus the area-count sources "
                        "set to count in harm.")
    layer_sources = bundle.sources("harm") + bundle.sources("indicator")
    controls = st.columns([2, 2, 2, 1])
    source = controls[0].selectbox("Partner layer", layer_sources, key="pc_source")
    geography = controls[1].radio("Partner geography", GEOGRAPHIES, key="pc_geo",
                                  horizontal=True)
    method = controls[2].radio("Apportion by", list(APPORTION_METHODS), key="pc_method",
                               horizontal=True, disabled=geography == GEOGRAPHIES[0],
                               format_func=lambda m: f"{m} share",
                               help="H3 cells get each area's value split by the share of "
                                    "its surface (area) or of its postcodes (population).")
    measure = controls[3].radio("Partner measure", ("count", "harm"), key="pc_measure")
    if source:
        frame, unit, used = _layer(key, months, source, role, geography, method)
        title = partner_title(source, measure, unit=unit, method=used)
        scale = maps.quantile_scale(frame[measure].fillna(0))
        left, right = st.columns([4, 1])
        with left:
            _map(frame, measure, scale, title, study, "pc_map")
        with right:
            show_legend(scale.legend(title, decimals=0 if used is None else 1))
    render_signals(study, role, months, key="profile")
    series = partners.series(key, months, role.value)
    period = "quarter" if "quarter" in series.columns else "month"
    wide = series.assign(**{period: series[period].astype(str)}).pivot_table(
        index=period, columns="source", values="count", aggfunc="sum").rename(
        columns=source_label)
    st.caption("Partner area counts per " + period)
    st.line_chart(wide, height=220)


def render_signals(study: Study, role: Role, months: tuple[str, ...], *, key: str) -> None:
    """Vulnerability signals: their own map and purple legend, per category counts."""
    bundle = study.partner_counts
    if bundle is None or not bundle.sources("signal"):
        return
    st.subheader("Vulnerability signals")
    st.caption("Cuckooing, child criminal exploitation, missing episodes, county lines "
               "referrals, loan sharks, digital key activations: an indicator layer of its "
               "own, counted, never turned into harm days.")
    source = bundle.sources("signal")[0]
    frame = partners.areas(studies.study_key(), months, source, role.value)
    unit = str(frame.attrs.get("area_kind", "area")).replace("_", " ")
    title = partner_title(source, "count", unit=unit, signal=True)
    scale = signal_scale(frame["count"].fillna(0))
    left, right = st.columns([4, 1])
    with left:
        _map(frame, "count", scale, title, study, f"signal_map_{key}")
    with right:
        show_legend(scale.legend(title))
    per_category = pd.DataFrame(
        [(source_label(c.removeprefix("count__")), total_text(frame[c])) for c in frame.columns
         if c.startswith("count__")], columns=["Signal", "Events (the areas shown)"])
    st.dataframe(per_category, hide_index=True, width="stretch")
    if role is not Role.ANALYST:
        st.caption("Disclosed values: perturbed with the cell key method and suppressed "
                   f"below {rules_for(role).min_count}.")


def render_sites(ranked: pd.DataFrame) -> None:
    """Partner components and vulnerability signals of the ranked candidates (analysts)."""
    partner = [c for c in ranked.columns if isinstance(c, str)
               and c.startswith(("partner_harm__", "partner_count__")) and c.count("__") == 1]
    signals = [c for c in ranked.columns if isinstance(c, str) and c.startswith("signal")]
    if not partner and not signals:
        return
    st.subheader("Partner data by candidate")
    st.caption("One score component per partner source (harm in days, or events for an "
               "indicator source); vulnerability signals are shown, never scored. Area "
               "counts are apportioned to candidates by "
               f"{ranked.attrs.get('partner_method', 'area')} share.")
    keep = [c for c in ("name", "rank", "score") if c in ranked.columns] + partner + signals
    show_table(ranked[keep].head(25), ["code", *keep], index="code")


def render_phases(study: Study, site: str, plan: object, control: str, measure: str) -> None:
    """Before/after per phase and displacement on partner counts (analysts)."""
    if study.partner_counts is None:
        return
    st.subheader("Partner area counts: change per phase and displacement")
    steps = tuple((p.name.split(" ")[0], str(p.start), str(p.end)) for p in plan.phases)
    with st.spinner("Partner counts per phase…"):
        report = partners.phases(studies.study_key(), site, steps, study.ring_bands_m,
                                      control, measure, treatment_choice(study))
    st.caption("Site = the source's areas whose centre lies in the site; buffer = areas "
               "touching the rings; control = areas in the control ward.")
    if not report.change.empty:
        totals = report.change[report.change["category"] == "all"]
        show_table(totals, ["source", "treatment", "phase", "months", "count", "harm",
                            "count_pct_change", "reading"], study=study)
        st.caption("Numbers only, no verdict: the rate ratio against the baseline is not "
                   "calibrated on untreated areas, its false-alarm rate on area counts is "
                   "not measured, and partner counts vary more than Poisson allows. The "
                   "site's one verdict ('Did it work?') comes from the incidents.")
    if not report.displacement.empty:
        cols = [c for c in ("source", "phase", "ring", "site_pct", "ring_pct", "control_pct",
                            "wdq", "wdq_band", "wdd", "wdd_p") if c in report.displacement]
        show_table(report.displacement, cols, study=study)
    for note in report.notes:
        st.caption(f"Note: {note}.")


def render_launch(study: Study, months: tuple[str, ...]) -> None:
    """Public-safe partner totals and vulnerability signals for the launch audience."""
    if study.partner_counts is None:
        return
    st.subheader("Partner data: what health, housing and youth services see")
    table = partners.totals(studies.study_key(), months, Role.PUBLIC.value,
                                 treatment_choice(study))
    shown = table.assign(treatment=table["treatment"].map(
        {"harm": "in harm", "indicator": "indicator", "signal": "vulnerability signal"}))
    show_table(shown, {"source": None, "treatment": None, "count": "Events (rounded to 5)",
                       "harm": None}, index="source", study=study)
    render_signals(study, Role.PUBLIC, months, key="launch")


def render_partner_series(study: Study, role: Role, months: tuple[str, ...]) -> None:
    """Partner area counts per month for a partner (disclosed), with the phase dates."""
    if study.partner_counts is None:
        return
    st.subheader("Partner area counts over time")
    series = partners.series(studies.study_key(), months, role.value)
    period = "quarter" if "quarter" in series.columns else "month"
    wide = series.assign(**{period: series[period].astype(str)}).pivot_table(
        index=period, columns="source", values="count", aggfunc="sum").rename(
        columns=source_label)
    st.line_chart(wide, height=260, y_label="Events (disclosed)")
    if study.plan is not None:
        st.caption("Phases: " + "; ".join(f"{p.name} {p.start} to {p.end}"
                                          for p in study.plan.phases))
    st.caption("Disclosed values (cell key perturbation, counts below "
               f"{rules_for(role).min_count} suppressed).")

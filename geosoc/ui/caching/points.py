"""The caching seam of the point-level pages: site ranking (Sites) and displacement (Phases).

A sibling of :mod:`geosoc.ui.caching.studies` (same rules: small hashable arguments, the
study key in every key). Both read the points of the analyst's study
(:func:`geosoc.ui.caching.studies._filtered`).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import streamlit as st

from geosoc.aggregate.rates import population_for, with_rates
from geosoc.phases.change import PhasePlan
from geosoc.phases.displacement import displacement_report
from geosoc.phases.rings import buffer_rings
from geosoc.sites.ranking import rank_sites
from geosoc.ui import state
from geosoc.ui.caching.studies import _filtered, _study
from geosoc.ui.caching.study_views import with_cells

#: H3 resolution of the Sites page's hot-spot cells (the ranking's default).
SITE_RESOLUTION = 9


@st.cache_data(show_spinner=False, max_entries=32)
def ranked_sites(key: str, filters: state.Filters, scale: str,
                 weights: tuple[tuple[str, float], ...],
                 treatment: tuple[tuple[str, str], ...] = ()) -> gpd.GeoDataFrame:
    """Candidate CHB sites of ``scale`` ranked with ``weights`` (analyst view only).

    Partner area counts enter as one component per source (``treatment``: the user's
    harm/indicator choice per source).
    """
    study = _study(key)
    partner = study.partner_counts
    if partner is not None and treatment:
        partner = partner.with_treatment(dict(treatment))
    ranked = rank_sites(
        # each incident's resolution-9 cell computed once per study (the ranking's hot spots)
        with_cells(_filtered(key, filters), key, "analyst", SITE_RESOLUTION),
        wards=study.areas["ward"], scale=scale, resolution=SITE_RESOLUTION,
        sectors=study.areas.get("postcode_sector"), lsoas=study.areas.get("lsoa"),
        imd=study.imd, assets=study.assets, weights=dict(weights),
        partner_counts=partner, population=study.postcodes,
    )
    population = population_for(scale, ranked, study.population, study.areas.get("lsoa"))
    return ranked if population is None else with_rates(
        ranked, population, columns=("police_count", "police_harm"))



@st.cache_data(show_spinner=False, max_entries=16)
def displacement(key: str, filters: state.Filters, site: str, plan: dict[str, tuple[str, str]],
                 bands_m: tuple[float, ...], control: str, measure: str) -> pd.DataFrame:
    """WDQ/WDD per phase and ring for a site of the study (analysts; point-level input)."""
    study = _study(key)
    geometry = study.site.geometry.loc[site]
    return displacement_report(
        _filtered(key, filters), geometry, PhasePlan.from_dates(**plan),
        rings=buffer_rings(geometry, (0.0, *bands_m)),
        control_geometry=study.areas["ward"].geometry.loc[control], measure=measure)

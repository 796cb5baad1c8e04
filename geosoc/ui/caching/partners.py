"""Cached, role-keyed partner area-count tables for the pages.

Same rules as :mod:`geosoc.ui.caching.studies`: small hashable arguments, the role in every
key, the study read-only. Every non-analyst value comes from :mod:`geosoc.disclosure.count_tables`.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import streamlit as st

from geosoc.aggregate.cells import cover_area
from geosoc.aggregate.count_layers import PartnerCounts
from geosoc.disclosure.count_tables import (
    disclosed_count_areas,
    disclosed_count_cells,
    disclosed_count_series,
    disclosed_count_totals,
)
from geosoc.disclosure.rules import Role
from geosoc.phases.change import PhasePlan
from geosoc.phases.partner_phases import PartnerPhases, partner_phase_report
from geosoc.phases.rings import buffer_rings
from geosoc.ui.caching.studies import _min_count
from geosoc.ui.caching.study_views import view_study

Months = tuple[str, ...]
Treatment = tuple[tuple[str, str], ...]


def bundle(key: str, treatment: Treatment = ()) -> PartnerCounts | None:
    """Return the study's partner counts with the user's harm/indicator choice (or None)."""
    counts = view_study(key).partner_counts
    if counts is None or not treatment:
        return counts
    return counts.with_treatment(dict(treatment))


def _months(months: Months) -> tuple[str, str] | None:
    return (months[0], months[-1]) if months else None


@st.cache_data(show_spinner=False, max_entries=64)
def areas(key: str, months: Months, source: str, role: str) -> gpd.GeoDataFrame:
    """One source's counts and harm per shared area, disclosed for ``role``."""
    return disclosed_count_areas(bundle(key), source, Role(role), months=_months(months),
                                 min_count=_min_count(role))


@st.cache_data(show_spinner=False, max_entries=64)
def cells(key: str, months: Months, source: str, resolution: int, method: str,
          role: str) -> gpd.GeoDataFrame:
    """One source's disclosed area values apportioned to H3 cells by ``method``."""
    study = view_study(key)
    return disclosed_count_cells(bundle(key), source, Role(role),
                                 cover=cover_area(study.areas["ward"], resolution),
                                 method=method, population=study.postcodes,
                                 months=_months(months), min_count=_min_count(role))


@st.cache_data(show_spinner=False, max_entries=64)
def totals(key: str, months: Months, role: str, treatment: Treatment = ()) -> pd.DataFrame:
    """Each source's events and harm (days) with its treatment, disclosed for ``role``."""
    return disclosed_count_totals(bundle(key, treatment), Role(role), months=_months(months))


@st.cache_data(show_spinner=False, max_entries=32)
def series(key: str, months: Months, role: str) -> pd.DataFrame:
    """Monthly (public: quarterly) events and harm per source, disclosed for ``role``."""
    return disclosed_count_series(bundle(key), Role(role), months=_months(months),
                                  min_count=_min_count(role))


@st.cache_resource(show_spinner=False, max_entries=16)
def phases(key: str, site: str, plan: tuple[tuple[str, str, str], ...],
           bands_m: tuple[float, ...], control: str, measure: str,
           treatment: Treatment = ()) -> PartnerPhases:
    """Phase change and displacement on partner counts around a site (analysts only)."""
    study = view_study(key)
    geometry = study.site.geometry.loc[site]
    rings = buffer_rings(geometry, (0.0, *bands_m)).union_all()
    return partner_phase_report(bundle(key, treatment), geometry, rings,
                                study.areas["ward"].geometry.loc[control],
                                PhasePlan.from_sequence(list(plan)), measure=measure)

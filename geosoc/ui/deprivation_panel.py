"""Profile page: deprivation (IMD 2019 decile, or one of its seven domains) per LSOA.

IMD is open data (MHCLG), so every role sees it. The map is drawn with
:mod:`geosoc.maps.deprivation` and the legend with Streamlit (no branca legend offline).
"""

from __future__ import annotations

import folium
import streamlit as st

from geosoc import maps
from geosoc.maps.deprivation import (
    available_measures,
    decile_legend,
    deprivation_frame,
    deprivation_layer,
)
from geosoc.ui import cache
from geosoc.ui.mapview import show_legend, show_map
from geosoc.ui.study import Study


def render(study: Study) -> None:
    """Draw the deprivation section for ``study`` (a hint when IMD or LSOAs are missing)."""
    st.subheader("Deprivation (IMD 2019)")
    measures = available_measures(study.imd)
    lsoas = study.areas.get("lsoa")
    if not measures or lsoas is None:
        st.caption("Add the IMD 2019 file and LSOA boundaries (Data page) to map deprivation.")
        return
    measure = st.selectbox("Index or domain", list(measures), format_func=measures.__getitem__,
                           key="pf_imd_measure",
                           help="Deciles are national: 1 is the most deprived 10% of LSOAs in "
                                "England.")
    frame = deprivation_frame(lsoas, study.imd, measure)
    matched = int(frame["decile"].notna().sum())
    map_col, legend_col = st.columns([4, 1])
    with map_col:
        m = cache.base_map(boundaries=study.areas["ward"])
        group = folium.FeatureGroup(name="IMD 2019")
        deprivation_layer(frame, measure).add_to(group)
        maps.site_layer(study.site).add_to(m)
        show_map(m, key="profile_imd_map", height=420, feature_group=group)
    with legend_col:
        show_legend(decile_legend(measure))
    st.caption(f"{matched:,} of {len(frame):,} LSOAs have an IMD 2019 value (IMD 2019 uses "
               "2011 LSOAs; LSOAs new in 2021 show as no data). Source: MHCLG English "
               "Indices of Deprivation 2019 (OGL v3).")

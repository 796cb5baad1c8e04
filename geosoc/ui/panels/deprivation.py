"""Profile map: deprivation (IMD 2019 decile, or one of its seven domains) per LSOA.

Offered as a layer of the Profile map when the study has IMD with LSOA boundaries. IMD is
open data (MHCLG), so every role may see it. The layer comes from
:mod:`geosoc.maps.deprivation`; its legend is drawn with Streamlit (no branca legend offline).
"""

from __future__ import annotations

import folium
import streamlit as st

from geosoc.maps.deprivation import (
    available_measures,
    decile_legend,
    deprivation_frame,
    deprivation_layer,
)
from geosoc.maps.legend import Legend
from geosoc.ui.study import Study

#: The Profile page's layer option.
LAYER = "Deprivation (IMD 2019)"


def available(study: Study) -> bool:
    """Return whether the study has IMD deciles and LSOA boundaries to map."""
    return bool(available_measures(study.imd)) and study.areas.get("lsoa") is not None


def layer(study: Study) -> tuple[folium.GeoJson, Legend]:
    """Draw the index/domain picker; return the LSOA decile layer and its legend."""
    measures = available_measures(study.imd)
    measure = st.selectbox("Index or domain", list(measures), format_func=measures.__getitem__,
                           key="pf_imd_measure",
                           help="Deciles are national: 1 is the most deprived 10% of LSOAs "
                                "in England.")
    frame = deprivation_frame(study.areas["lsoa"], study.imd, measure)
    st.caption(f"{int(frame['decile'].notna().sum()):,} of {len(frame):,} LSOAs have an IMD "
               "2019 value (IMD 2019 uses 2011 LSOAs; LSOAs new in 2021 show as no data). "
               "Source: MHCLG English Indices of Deprivation 2019 (OGL v3).")
    return deprivation_layer(frame, measure), decile_legend(measure)

"""IMD 2019 deciles (the index or one of its seven domains) as a map layer with its legend.

Deciles are national: 1 is the most deprived 10% of LSOAs in England, 10 the least. The
palette runs from dark red (most deprived) to dark blue (least), a diverging ColorBrewer
RdYlBu scheme with ten classes, and LSOAs without a value are drawn grey ("no data").
"""

from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd

from geosoc.ingest.imd import DOMAINS
from geosoc.maps.layers import class_layer
from geosoc.maps.legend import Legend

#: ColorBrewer RdYlBu, 10 classes: decile 1 (most deprived) first.
DECILE_COLOURS = {1: "#a50026", 2: "#d73027", 3: "#f46d43", 4: "#fdae61", 5: "#fee090",
                  6: "#e0f3f8", 7: "#abd9e9", 8: "#74add1", 9: "#4575b4", 10: "#313695"}
#: Colour of LSOAs with no IMD value (another LSOA edition, or outside England).
NO_DATA_COLOUR = "#d9d9d9"
#: Measures offered: the overall index, then the seven domains (key -> label).
MEASURES = {"imd": "Index of Multiple Deprivation (overall)",
            **{key: f"{title} domain" for key, title in DOMAINS.items()}}


def available_measures(imd: pd.DataFrame | None) -> dict[str, str]:
    """Return the measures whose deciles ``imd`` holds (key -> label), the index first."""
    if imd is None:
        return {}
    return {k: v for k, v in MEASURES.items() if f"{k}_decile" in imd.columns}


def deprivation_frame(lsoas: gpd.GeoDataFrame, imd: pd.DataFrame, measure: str = "imd"
                      ) -> gpd.GeoDataFrame:
    """Join one IMD measure's decile and rank to the LSOA polygons.

    Parameters
    ----------
    lsoas : geopandas.GeoDataFrame
        LSOAs (index ``area_code``, ``name``), EPSG:4326.
    imd : pandas.DataFrame
        :func:`geosoc.ingest.read_imd` output (index ``lsoa_code``).
    measure : str
        ``"imd"`` or a domain key (:data:`MEASURES`).

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame, same index and CRS: ``decile`` (Int64, 1 = most deprived 10%),
        ``rank`` (Int64, 1 = most deprived in England), ``decile_label`` (text).
    """
    codes = lsoas.index.astype(str)
    decile = pd.array(imd[f"{measure}_decile"].reindex(codes).to_numpy(), dtype="Int64")
    rank = pd.array(imd[f"{measure}_rank"].reindex(codes).to_numpy(), dtype="Int64") \
        if f"{measure}_rank" in imd.columns else pd.array([pd.NA] * len(codes), dtype="Int64")
    label = pd.Series(decile, index=lsoas.index).map(
        lambda d: "no data" if pd.isna(d) else f"decile {int(d)}")
    return lsoas.assign(decile=decile, rank=rank, decile_label=label)


def deprivation_layer(frame: gpd.GeoDataFrame, measure: str = "imd", *,
                      show: bool = True) -> folium.GeoJson:
    """Return a folium layer colouring LSOAs by decile (tooltip: name, decile, rank)."""
    tooltip = {"decile_label": MEASURES.get(measure, measure), "rank": "Rank in England"}
    if "name" in frame.columns:
        tooltip = {"name": "LSOA", **tooltip}
    classes = frame.assign(decile=frame["decile"].astype("float"))
    return class_layer(classes, "decile", {float(k): v for k, v in DECILE_COLOURS.items()},
                       name=f"IMD 2019: {MEASURES.get(measure, measure)}", tooltip=tooltip,
                       default=NO_DATA_COLOUR, show=show)


def decile_legend(measure: str = "imd") -> Legend:
    """Return the legend of :func:`deprivation_layer`: ten deciles and "no data"."""
    ends = {1: " — most deprived 10%", 10: " — least deprived 10%"}
    entries = [(f"{d}{ends.get(d, '')}", colour) for d, colour in DECILE_COLOURS.items()]
    return Legend(f"IMD 2019 decile: {MEASURES.get(measure, measure)}",
                  (*entries, ("no data", NO_DATA_COLOUR)))

"""Parent and child geographies published together stay consistent under suppression.

When a partner sees LSOAs and wards, a ward total minus its other LSOAs gives a suppressed
LSOA back unless each ward is a secondary-suppression group of its LSOAs. This module maps
child areas to the parent area holding them, so :func:`geosoc.disclosure.disclose_areas`
(``parent=``) can apply that rule; the cell key noise on both layers does the rest.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geosoc.schema import CRS_METRIC

__all__ = ["parent_codes"]


def parent_codes(children: gpd.GeoDataFrame, parents: gpd.GeoDataFrame) -> pd.Series:
    """Return the code of the parent area holding each child area.

    Parameters
    ----------
    children, parents : geopandas.GeoDataFrame
        Areas contract (index ``area_code``), EPSG:4326; measured in EPSG:27700.

    Returns
    -------
    pandas.Series
        Parent code per child code (the parent containing the child's representative
        point, vectorised with a spatial join); children outside every parent get their
        own code, so they form a group of one.
    """
    points = gpd.GeoDataFrame(
        {"child": children.index.to_numpy()},
        geometry=children.geometry.to_crs(CRS_METRIC).representative_point().to_numpy(),
        crs=CRS_METRIC)
    holders = gpd.GeoDataFrame({"parent": parents.index.to_numpy()},
                               geometry=parents.geometry.to_crs(CRS_METRIC).to_numpy(),
                               crs=CRS_METRIC)
    joined = points.sjoin(holders, predicate="within", how="left")
    first = joined.drop_duplicates("child").set_index("child")["parent"]
    out = first.reindex(children.index)
    return out.fillna(pd.Series(children.index, index=children.index)).astype(str)

"""Aggregate stage: harm-weighted events to H3 cells, areas and months.

``cells`` (H3 cover, zero-filled cell frames), ``pip_index`` (exact point-in-polygon index),
``tables`` (harm and counts by cell, area and month) and ``rollup`` (area counts rolled up
to coarser geographies, rates). Everything here is a pure function on frames (EPSG:4326 in
and out), so it also runs per partition on a distributed engine.
"""

from geosoc.aggregate.cells import (
    as_cell_ids,
    assign_cells,
    cell_centres,
    cell_polygons,
    cover_area,
    h3_ints_to_str,
    h3_strs_to_int,
    lonlat_to_cells,
    parent_cells,
)
from geosoc.aggregate.pip_index import AreaIndex
from geosoc.aggregate.rates import (
    SMALL_POPULATION,
    apportion_population,
    population_for,
    rate_per_1000,
    with_rates,
)
from geosoc.aggregate.rollup import add_rates, roll_up_counts
from geosoc.aggregate.tables import (
    assign_areas,
    build_area_index,
    harm_by_area,
    harm_by_cell,
    harm_by_month,
    locate_in_areas,
)

__all__ = [
    "SMALL_POPULATION", "AreaIndex", "add_rates", "apportion_population", "as_cell_ids",
    "assign_areas", "assign_cells",
    "build_area_index", "cell_centres", "cell_polygons", "cover_area", "h3_ints_to_str",
    "h3_strs_to_int", "harm_by_area", "harm_by_cell", "harm_by_month", "locate_in_areas",
    "lonlat_to_cells", "parent_cells", "population_for", "rate_per_1000", "roll_up_counts",
    "with_rates",
]

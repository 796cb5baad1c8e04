"""Hot spot statistics stage: where harm concentrates and whether that is more than chance.

``weights`` (H3 and contiguity graphs), ``randomisation`` and ``significance`` (conditional
permutation inference, FDR, bins), ``local_stats`` (Getis-Ord Gi*, local Moran's I),
``emerging`` (Mann-Kendall trends and ArcGIS emerging hot spot classes), ``kde`` (kernel
density), ``concentration`` (Gini, Lorenz, share of harm in the top places) and ``profile``
(the locality profile that puts them together).
"""

from geosoc.hotspots.concentration import (
    concentration_summary,
    generalised_gini,
    gini,
    lorenz_curve,
)
from geosoc.hotspots.emerging import (
    EMERGING_CLASSES,
    classify_emerging,
    emerging_hotspots,
    mann_kendall,
    to_panel,
)
from geosoc.hotspots.kde import kde_surface
from geosoc.hotspots.local_stats import (
    find_hotspots,
    gi_star,
    gi_star_z,
    graph_for,
    local_moran,
    warm_up,
)
from geosoc.hotspots.profile import LocalityProfile, Progress, build_profile
from geosoc.hotspots.randomisation import conditional_pseudo_p
from geosoc.hotspots.significance import benjamini_hochberg, hotspot_bins
from geosoc.hotspots.weights import contiguity_graph, h3_graph, h3_neighbour_pairs

__all__ = [
    "EMERGING_CLASSES", "LocalityProfile", "Progress", "benjamini_hochberg", "build_profile",
    "classify_emerging", "concentration_summary", "conditional_pseudo_p", "contiguity_graph",
    "emerging_hotspots", "find_hotspots", "generalised_gini", "gi_star", "gi_star_z", "gini",
    "graph_for", "h3_graph", "h3_neighbour_pairs", "hotspot_bins", "kde_surface",
    "local_moran", "lorenz_curve", "mann_kendall", "to_panel", "warm_up",
]

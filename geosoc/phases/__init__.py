"""Phase tracking stage: change baseline → Clear → Hold → Build, and displacement around a site.

``plan`` (phase plans), ``change`` (monthly series and before/after tests), ``rings``
(buffer rings and control areas), ``measures`` (WDQ, WDD and the harm-weighted WDD as
published), ``displacement`` (the displacement report per phase and ring) and ``readings``
(plain-English readings of each figure).
"""

from geosoc.phases.change import (
    LAYER_HARM,
    LAYER_POLICE,
    compare_phases,
    compare_phases_counts,
    monthly_series,
    monthly_series_counts,
    rate_ratio_test,
)
from geosoc.phases.displacement import (
    displacement_report,
    displacement_report_counts,
    displacement_table,
)
from geosoc.phases.measures import (
    harm_weighted_wdd,
    weighted_displacement_difference,
    weighted_displacement_quotient,
)
from geosoc.phases.plan import Phase, PhasePlan
from geosoc.phases.rings import adjacent_areas, buffer_rings, h3_ring_cells, suggest_control

__all__ = [
    "LAYER_HARM", "LAYER_POLICE", "Phase", "PhasePlan", "adjacent_areas", "buffer_rings",
    "compare_phases", "compare_phases_counts", "displacement_report",
    "displacement_report_counts", "displacement_table", "h3_ring_cells", "harm_weighted_wdd",
    "monthly_series", "monthly_series_counts", "rate_ratio_test", "suggest_control",
    "weighted_displacement_difference", "weighted_displacement_quotient",
]

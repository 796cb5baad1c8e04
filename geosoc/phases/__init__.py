"""Phase tracking stage: change baseline → Clear → Hold → Build, and displacement around a site.

``plan`` (phase plans), ``change`` (monthly series and before/after tests), ``rings``
(buffer rings and control areas), ``measures`` (WDQ, WDD and the harm-weighted WDD as
published), ``displacement`` (the displacement report per phase and ring) and ``readings``
(plain-English readings of each figure).

The verdicts ("did it work?") are calibrated: ``controls`` (matched donor areas, shifted
copies), ``evaluation`` (placebo-in-space test with a calibrated null), ``verdicts`` (Holm
family-wise control, one plain-English line per test), ``watch`` (the Hold-phase
displacement watch), ``sppt`` (Andresen's spatial point pattern test), ``calibrated`` (all of
them for a site on point data) and ``nullbench`` (the null-site calibration on real counts).
The published WDQ/WDD and rate ratio stay as descriptive measures.
"""

from geosoc.phases.calibrated import calibrated_verdicts, displacement_watch, sppt_report
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
from geosoc.phases.evaluation import evaluate_change
from geosoc.phases.measures import (
    harm_weighted_wdd,
    weighted_displacement_difference,
    weighted_displacement_quotient,
)
from geosoc.phases.plan import Phase, PhasePlan
from geosoc.phases.rings import adjacent_areas, buffer_rings, h3_ring_cells, suggest_control
from geosoc.phases.sppt import sppt, sppt_diff
from geosoc.phases.verdicts import calibrate, site_verdict
from geosoc.phases.watch import watch_table

__all__ = [
    "LAYER_HARM",
    "LAYER_POLICE",
    "Phase",
    "PhasePlan",
    "adjacent_areas",
    "buffer_rings",
    "calibrate",
    "calibrated_verdicts",
    "compare_phases",
    "compare_phases_counts",
    "displacement_report",
    "displacement_report_counts",
    "displacement_table",
    "displacement_watch",
    "evaluate_change",
    "h3_ring_cells",
    "harm_weighted_wdd",
    "monthly_series",
    "monthly_series_counts",
    "rate_ratio_test",
    "site_verdict",
    "sppt",
    "sppt_diff",
    "sppt_report",
    "suggest_control",
    "watch_table",
    "weighted_displacement_difference",
    "weighted_displacement_quotient",
]

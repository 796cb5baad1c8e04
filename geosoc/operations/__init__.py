"""Operations stage: running a CHB site, beside analysing it.

``activities`` (the 4P activity and disruption log: record model, validation, phase of a
date), ``summaries`` (pillar balance per phase, police vs partner share, monthly timeline),
``morile`` (MoRiLE score series, OCGs by opaque reference only) and ``perception``
(community survey waves as aggregates, change between waves, small-cell suppression).
"""

from geosoc.operations.activities import (
    ACTIVITY_COLUMNS,
    ACTIVITY_TYPES,
    PILLARS,
    phase_of,
    validate_activities,
)
from geosoc.operations.morile import (
    MORILE_COLUMNS,
    morile_by_phase,
    morile_for_role,
    morile_trend,
    validate_morile,
)
from geosoc.operations.perception import (
    MIN_RESPONDENTS,
    OTHER_ANSWERS,
    compare_waves,
    suppress_small_cells,
    validate_waves,
    waves_for_role,
)
from geosoc.operations.summaries import activity_timeline, agency_share, pillar_balance

__all__ = [
    "ACTIVITY_COLUMNS", "ACTIVITY_TYPES", "MIN_RESPONDENTS", "MORILE_COLUMNS",
    "OTHER_ANSWERS", "PILLARS", "activity_timeline", "agency_share", "compare_waves",
    "morile_by_phase", "morile_for_role", "morile_trend", "phase_of", "pillar_balance",
    "suppress_small_cells", "validate_activities", "validate_morile", "validate_waves",
    "waves_for_role",
]

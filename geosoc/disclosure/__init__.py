"""Roles and statistical disclosure control, applied in the library before anything renders.

Three roles (``../shared/DOMAIN.md`` section 6):

========  ================  ==============  =====================  =========  ============
role      point data        min count       rounding               finest     time grain
========  ================  ==============  =====================  =========  ============
analyst   yes               none            none                   any        month
partner   never             suppress 1–4    none                   H3 res 8   month
public    never             suppress 1–9    nearest 5 (ONS 10-5)   H3 res 7,  quarter
                                                                   ward
========  ================  ==============  =====================  =========  ============

Zero counts are shown as zero (absence of recorded crime identifies nobody); counts from 1 to
``min_count - 1`` are suppressed (``NaN``) together with their harm, because harm divided by
a known weight would give the count back.

**Secondary suppression.** A suppressed value must not be recoverable by subtraction:

* *from a total*: within every group whose total is published (the whole layer, and each
  parent cell or area of an overlapping coarser layer), the suppressed values of that group
  are either none, or at least two values whose sum is itself at least ``min_count``.
  Otherwise the next smallest non-zero value of the group (or, when none is left, a zero)
  is suppressed too, repeated until the rule holds or the whole group is hidden.
* *across columns*: a row whose per-category columns (``count__<key>``) sum to the row
  total gets the same rule across its columns.

The public role's values are rounded to the nearest 5 after suppression (so a total of
rounded values is not the rounded total; headline figures are rounded separately).

Modules: ``rules`` (roles and their rules), ``suppression`` (primary and secondary
suppression mechanics), ``layers`` (each layer made fit for a role) and ``point_leaks`` (the
scan of a rendered payload for incident coordinates).
"""

from geosoc.disclosure.layers import (
    disclose_areas,
    disclose_cells,
    disclose_headline,
    disclose_series,
    guard_payload,
)
from geosoc.disclosure.point_leaks import coordinate_keys, find_point_leaks
from geosoc.disclosure.rules import (
    PROTECTIVE_MARKING,
    DisclosureRules,
    Role,
    as_role,
    require_area_kind,
    require_point_access,
    rules_for,
)
from geosoc.disclosure.suppression import suppress

__all__ = [
    "PROTECTIVE_MARKING", "DisclosureRules", "Role", "as_role", "coordinate_keys",
    "disclose_areas", "disclose_cells", "disclose_headline", "disclose_series",
    "find_point_leaks", "guard_payload", "require_area_kind", "require_point_access",
    "rules_for", "suppress",
]

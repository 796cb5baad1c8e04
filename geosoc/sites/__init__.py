"""Site selection stage: candidate places scored and ranked for a CHB site.

``candidates`` (wards, postcode sectors and grown H3 regions as candidates, site snapshots),
``regions`` (growing contiguous H3 regions around hot spots), ``components`` (harm, trend,
hot spot, vulnerability and partner components per candidate), ``weights`` (the score
weights), ``scoring`` (normalisation, score, explanation) and ``ranking`` (the pipeline from
incidents to a ranked table).
"""

from geosoc.sites.candidates import (
    compare_candidates,
    score_site,
    sector_candidates,
    site_snapshot,
    ward_candidates,
)
from geosoc.sites.components import candidate_components
from geosoc.sites.ranking import SCALES, baseline_period, in_period, rank_sites
from geosoc.sites.regions import grow_regions
from geosoc.sites.scoring import explain, score_candidates
from geosoc.sites.weights import COMPONENTS, DEFAULT_WEIGHTS, ScoreWeights

__all__ = [
    "COMPONENTS", "DEFAULT_WEIGHTS", "SCALES", "ScoreWeights", "baseline_period",
    "candidate_components", "compare_candidates", "explain", "grow_regions", "in_period",
    "rank_sites", "score_candidates", "score_site", "sector_candidates", "site_snapshot",
    "ward_candidates",
]

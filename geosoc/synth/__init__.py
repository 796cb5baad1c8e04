"""The fictional demo town "Demoford": generator and manifest with known ground truth.

``generate_demo_town(out_dir, seed=...)`` writes police.uk CSVs, partner extracts, boundaries,
postcodes, deprivation and community assets for a town that does not exist, placed in open
country in Staffordshire so British National Grid and H3 behave as on real data.
"""

from geosoc.synth.manifest import MANIFEST_NAME, DemoManifest
from geosoc.synth.town import DEFAULT_SEED, GENERATOR_VERSION, TOWN_LABEL, generate_demo_town

__all__ = [
    "DEFAULT_SEED",
    "GENERATOR_VERSION",
    "MANIFEST_NAME",
    "TOWN_LABEL",
    "DemoManifest",
    "generate_demo_town",
]

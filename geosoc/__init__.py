"""geosoc: harm hotspots, assets, site selection and displacement for Clear, Hold, Build."""

__version__ = "0.1.0"

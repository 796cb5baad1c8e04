"""Named score components and the user-set weights of a CHB site ranking.

:class:`ScoreWeights` is a frozen value saved with an analysis (``to_dict``/``from_dict``,
JSON-ready). A weight of 0 switches a component off; a negative weight reverses it. Each
partner source's harm is its own component ``partner_harm__<source>``, weighted by
``partner_harm`` unless ``partner_sources`` names it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields

import numpy as np
import pandas as pd

from geosoc.errors import ConfigError, Problem

__all__ = [
    "COMPONENTS",
    "DEFAULT_WEIGHTS",
    "NORMALISATIONS",
    "PARTNER_COUNT_PREFIX",
    "PARTNER_PREFIX",
    "ScoreWeights",
    "component_columns",
    "component_label",
]

#: Component name -> (plain-English label, unit of the raw value).
COMPONENTS: dict[str, tuple[str, str]] = {
    "police_harm": ("police harm", "days (CCHI)"),
    "police_count": ("police incident count", "events"),
    "hotspot": ("cell hot spot score", "mean Gi* z of the H3 cells inside (not the area's "
                "own Gi* z in geosoc profile, which compares whole areas)"),
    "trend": ("harm trend", "days of harm per month (OLS slope)"),
    "emerging": ("emerging hot spots", "share of cells new/consecutive/intensifying hot"),
    "vulnerability": ("vulnerability (IMD)", "population-weighted mean IMD 2019 score"),
    "assets": ("community asset capacity", "assets inside"),
}
#: Prefix of the per-source partner harm components (``partner_harm__council_asb``).
PARTNER_PREFIX = "partner_harm__"
#: Prefix of the per-source partner *indicator* components (area counts kept out of harm,
#: ``partner_count__housing``); weighted like partner harm (``partner_sources`` by source).
PARTNER_COUNT_PREFIX = "partner_count__"
_PARTNER_PREFIXES = (PARTNER_PREFIX, PARTNER_COUNT_PREFIX)
NORMALISATIONS = ("rank", "minmax", "max")


def _is_finite(value: object) -> bool:
    return isinstance(value, int | float) and bool(np.isfinite(value))


@dataclass(frozen=True)
class ScoreWeights:
    """User-set weights of the score components (saved with an analysis as JSON).

    Parameters
    ----------
    police_harm, police_count, hotspot, trend, emerging, vulnerability, assets : float
        Weight of each component; 0 switches it off; negative reverses its direction.
    partner_harm : float
        Weight of each partner source's harm unless ``partner_sources`` overrides it.
    partner_sources : tuple of (str, float)
        Per-source weights, e.g. ``(("fire", 0.25),)``.
    normalisation : str
        ``"rank"`` (mid-rank percentile, default), ``"minmax"`` or ``"max"`` (value / largest
        value: keeps the ratio between candidates, e.g. 95.6k vs 56.8k -> 1.0 vs 0.59).
    """

    police_harm: float = 1.0
    police_count: float = 0.25
    partner_harm: float = 0.5
    hotspot: float = 0.5
    trend: float = 0.25
    emerging: float = 0.25
    vulnerability: float = 0.5
    assets: float = 0.25
    partner_sources: tuple[tuple[str, float], ...] = field(default=())
    normalisation: str = "rank"

    def __post_init__(self) -> None:
        problems = [
            Problem(f"weight '{f.name}' must be a finite number, got {getattr(self, f.name)!r}",
                    column=f.name, fix="use a number such as 0.5")
            for f in fields(self)
            if f.name not in ("partner_sources", "normalisation")
            and not _is_finite(getattr(self, f.name))
        ]
        problems += [
            Problem(f"weight for partner source '{s}' must be a finite number, got {w!r}",
                    column=PARTNER_PREFIX + str(s))
            for s, w in self.partner_sources if not _is_finite(w)
        ]
        if self.normalisation not in NORMALISATIONS:
            problems.append(Problem(f"unknown normalisation {self.normalisation!r}",
                                    column="normalisation", fix="use 'rank', 'minmax' or 'max'"))
        if problems:
            raise ConfigError("invalid score weights", problems)

    def weight(self, component: str) -> float:
        """Return the weight of ``component`` (a partner source falls back to ``partner_harm``)."""
        if component.startswith(_PARTNER_PREFIXES):
            source = component.split("__", 1)[1]
            return float(dict(self.partner_sources).get(source, self.partner_harm))
        if component not in COMPONENTS:
            raise ConfigError(f"unknown score component {component!r}",
                              [Problem(f"no weight named {component!r}",
                                       fix="use one of " + ", ".join(COMPONENTS))])
        return float(getattr(self, component))

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-ready dict; partner sources become ``partner_harm__<source>`` keys."""
        out = asdict(self)
        out.pop("partner_sources")
        out.update({PARTNER_PREFIX + s: float(w) for s, w in self.partner_sources})
        return out

    @classmethod
    def from_dict(cls, values: Mapping[str, object], *, base: ScoreWeights | None = None
                  ) -> ScoreWeights:
        """Build weights from a mapping (as written by :meth:`to_dict` or typed by a user).

        Parameters
        ----------
        values : mapping of str to number or str
            Component names (or ``partner_harm__<source>``, or ``normalisation``) to values.
            Numbers given as strings (``"0.5"``) are accepted.
        base : ScoreWeights, optional
            Weights for keys not given (default :data:`DEFAULT_WEIGHTS`).

        Raises
        ------
        ConfigError
            Listing every unknown key and every value that is not a number.
        """
        base = base or DEFAULT_WEIGHTS
        known = {f.name for f in fields(cls)} - {"partner_sources"}
        updates: dict[str, object] = {}
        partners = dict(base.partner_sources)
        problems = []
        for key, raw in values.items():
            if key == "normalisation":
                updates[key] = str(raw)
                continue
            if key not in known and not key.startswith(_PARTNER_PREFIXES):
                problems.append(Problem(f"unknown weight {key!r}", column=key,
                                        fix="use one of " + ", ".join(sorted(known))))
                continue
            try:
                number = float(raw)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                problems.append(Problem(f"weight {key!r} is not a number: {raw!r}", column=key,
                                        fix="write it as a number, e.g. 0.5"))
                continue
            if key.startswith(_PARTNER_PREFIXES):
                partners[key.split("__", 1)[1]] = number
            else:
                updates[key] = number
        if problems:
            raise ConfigError("invalid score weights", problems)
        merged = {**asdict(base), **updates, "partner_sources": tuple(sorted(partners.items()))}
        return cls(**merged)


#: The default weights (police harm leads; counts, partners, context follow).
DEFAULT_WEIGHTS = ScoreWeights()


def component_label(component: str) -> str:
    """Return the plain-English label of a component, e.g. "partner harm (fire)"."""
    if component.startswith(PARTNER_PREFIX):
        return f"partner harm ({component.removeprefix(PARTNER_PREFIX)})"
    if component.startswith(PARTNER_COUNT_PREFIX):
        return f"partner count ({component.removeprefix(PARTNER_COUNT_PREFIX)})"
    return COMPONENTS[component][0]


def component_columns(frame: pd.DataFrame) -> list[str]:
    """Return the component columns present in ``frame``, in canonical order."""
    known = [c for c in COMPONENTS if c in frame.columns]
    partners = sorted(c for c in frame.columns
                      if isinstance(c, str) and c.startswith(_PARTNER_PREFIXES)
                      and "__" not in c.split("__", 1)[1])
    return known + partners

"""Transparent, weighted scoring and ranking of candidate CHB sites.

Each candidate carries raw **components** (columns named as in :data:`COMPONENTS`, plus one
``partner_harm__<source>`` per partner source). For each component the score shows

* ``<c>``: the raw value (units in :data:`COMPONENTS`),
* ``<c>__norm``: the value normalised across the candidates, in [0, 1], oriented so that 1
  means "more in need of a CHB site" (see ``higher_is_worse``),
* ``<c>__contrib``: ``weight * norm / sum(|weights|)``,

and ``score`` = the sum of the contributions. Normalisation is the **mid-rank percentile**
by default: a value's share of candidates below it plus half of those equal to it,
``(n_below + n_equal / 2) / n``; a single candidate, or candidates all equal, get 0.5.
It is robust to one extreme ward. ``"minmax"`` keeps magnitudes instead:
``(v - min) / (max - min)``, clipped to [0, 1], 0.5 when all are equal.

A candidate without a value for a component (e.g. no IMD for the LSOAs it covers) gets
contribution 0 for it and the component is named in its ``missing`` column; the weight still
counts in the denominator, so missing evidence never raises a score. ``rank`` is 1 for the
highest score; ties are broken by police harm (higher first) then ``area_code`` (A→Z).

Asset capacity (``assets``, community assets inside the candidate) counts *for* a site by
default, because CHB Build needs partners to hand over to. To treat few assets as the greater
need (gap-led), pass ``higher_is_worse={"assets": False}`` or a negative ``assets`` weight.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields

import numpy as np
import pandas as pd

from geosoc.errors import AnalysisError, ConfigError, Problem, SchemaError
from geosoc.schema import AREA_CODE

__all__ = [
    "COMPONENTS",
    "DEFAULT_WEIGHTS",
    "PARTNER_PREFIX",
    "ScoreWeights",
    "component_columns",
    "component_label",
    "contribution_differences",
    "explain",
    "normalise",
    "score_candidates",
]

#: Component name -> (plain-English label, unit of the raw value).
COMPONENTS: dict[str, tuple[str, str]] = {
    "police_harm": ("police harm", "days (CCHI)"),
    "police_count": ("police incident count", "events"),
    "hotspot": ("hotspot significance", "mean Gi* z of the cells inside"),
    "trend": ("harm trend", "days of harm per month (OLS slope)"),
    "emerging": ("emerging hot spots", "share of cells new/consecutive/intensifying hot"),
    "vulnerability": ("vulnerability (IMD)", "population-weighted mean IMD 2019 score"),
    "assets": ("community asset capacity", "assets inside"),
}
#: Prefix of the per-source partner harm components (``partner_harm__council_asb``).
PARTNER_PREFIX = "partner_harm__"
NORMALISATIONS = ("rank", "minmax")


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
        ``"rank"`` (mid-rank percentile, default) or ``"minmax"``.
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
                                    column="normalisation", fix="use 'rank' or 'minmax'"))
        if problems:
            raise ConfigError("invalid score weights", problems)

    def weight(self, component: str) -> float:
        """Return the weight of ``component`` (a partner source falls back to ``partner_harm``)."""
        if component.startswith(PARTNER_PREFIX):
            return float(dict(self.partner_sources).get(component.removeprefix(PARTNER_PREFIX),
                                                        self.partner_harm))
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
            if key not in known and not key.startswith(PARTNER_PREFIX):
                problems.append(Problem(f"unknown weight {key!r}", column=key,
                                        fix="use one of " + ", ".join(sorted(known))))
                continue
            try:
                number = float(raw)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                problems.append(Problem(f"weight {key!r} is not a number: {raw!r}", column=key,
                                        fix="write it as a number, e.g. 0.5"))
                continue
            if key.startswith(PARTNER_PREFIX):
                partners[key.removeprefix(PARTNER_PREFIX)] = number
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
    return COMPONENTS[component][0]


def component_columns(frame: pd.DataFrame) -> list[str]:
    """Return the component columns present in ``frame``, in canonical order."""
    known = [c for c in COMPONENTS if c in frame.columns]
    partners = sorted(c for c in frame.columns
                      if isinstance(c, str) and c.startswith(PARTNER_PREFIX) and "__" not in
                      c.removeprefix(PARTNER_PREFIX))
    return known + partners


def normalise(values: pd.Series, reference: pd.Series | None = None, *,
              method: str = "rank") -> pd.Series:
    """Normalise raw component values to [0, 1] against a reference set.

    Parameters
    ----------
    values : pandas.Series
        Raw values to normalise (NaN stays NaN).
    reference : pandas.Series, optional
        The candidate values that define the scale (default ``values`` itself).
    method : str
        ``"rank"``: mid-rank percentile ``(n_below + n_equal / 2) / n`` of the reference;
        ``"minmax"``: ``(v - min) / (max - min)`` clipped to [0, 1]. Either gives 0.5 when
        the reference has one value or all equal values.

    Returns
    -------
    pandas.Series
        Same index as ``values``, float64.
    """
    ref = (values if reference is None else reference).to_numpy(dtype=float)
    ref = np.sort(ref[np.isfinite(ref)])
    v = values.to_numpy(dtype=float)
    out = np.full(v.shape, np.nan)
    ok = np.isfinite(v)
    if ref.size == 0 or ref[0] == ref[-1]:
        out[ok] = 0.5
    elif method == "rank":
        below = np.searchsorted(ref, v[ok], side="left")
        upto = np.searchsorted(ref, v[ok], side="right")
        out[ok] = (below + upto) / 2.0 / ref.size
    elif method == "minmax":
        out[ok] = np.clip((v[ok] - ref[0]) / (ref[-1] - ref[0]), 0.0, 1.0)
    else:
        raise ConfigError(f"unknown normalisation {method!r}",
                          [Problem("normalisation must be 'rank' or 'minmax'")])
    return pd.Series(out, index=values.index, name=values.name)


def _as_weights(weights: ScoreWeights | Mapping[str, float]) -> ScoreWeights:
    return weights if isinstance(weights, ScoreWeights) else ScoreWeights.from_dict(weights)


def score_candidates(
    candidates: pd.DataFrame,
    weights: ScoreWeights | Mapping[str, float] = DEFAULT_WEIGHTS,
    *,
    higher_is_worse: Mapping[str, bool] | None = None,
    reference: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Score and rank candidate sites by a weighted sum of normalised components.

    Parameters
    ----------
    candidates : pandas.DataFrame or geopandas.GeoDataFrame
        Index ``area_code``; raw component columns (see :data:`COMPONENTS` and
        ``partner_harm__<source>``), e.g. from :func:`geosoc.sites.candidate_components`.
        Geometry (EPSG:4326) and other columns are kept.
    weights : ScoreWeights or mapping of str to float
        Component weights (a mapping is merged over :data:`DEFAULT_WEIGHTS`).
    higher_is_worse : mapping of str to bool, optional
        Per component, whether a higher raw value means more need (default True for all).
        False flips the normalised value to ``1 - norm``.
    reference : pandas.DataFrame, optional
        Candidates whose raw values define the normalisation (default ``candidates``);
        used to score a drawn site against an existing candidate set.

    Returns
    -------
    pandas.DataFrame
        A new frame of the same type sorted by ``rank``, with ``<c>__norm``,
        ``<c>__contrib``, ``score``, ``rank`` (int, 1 = highest priority) and ``missing``
        (comma-separated component names, ``""`` when none). ``attrs["weights"]`` holds
        ``weights.to_dict()`` and ``attrs["components"]`` the components scored.

    Raises
    ------
    SchemaError
        When the frame has no component column, or its index is not unique.
    """
    w = _as_weights(weights)
    comps = component_columns(candidates)
    if not comps:
        raise SchemaError("candidates carry no score components", [Problem(
            "none of the component columns is present", fix="compute them with "
            "geosoc.sites.candidate_components, or name columns " + ", ".join(COMPONENTS))])
    if not candidates.index.is_unique:
        raise SchemaError("candidate codes must be unique", [Problem(
            f"duplicate code {c}", column=AREA_CODE)
            for c in candidates.index[candidates.index.duplicated()].unique()[:20]])
    direction = {c: True for c in comps} | dict(higher_is_worse or {})
    ref = candidates if reference is None else reference
    denominator = sum(abs(w.weight(c)) for c in comps) or 1.0
    out = candidates.copy()
    contribs = []
    missing = pd.Series("", index=out.index, dtype=object)
    for comp in comps:  # loop over a handful of components, each step vectorised
        raw = pd.to_numeric(out[comp], errors="coerce").astype(float)
        ref_raw = (pd.to_numeric(ref[comp], errors="coerce").astype(float)
                   if comp in ref.columns else raw)
        norm = normalise(raw, ref_raw, method=w.normalisation)
        if not direction.get(comp, True):
            norm = 1.0 - norm
        contrib = (w.weight(comp) * norm / denominator).fillna(0.0)
        absent = raw.isna()
        missing = missing.where(~absent, missing + np.where(missing == "", "", ",") + comp)
        out[f"{comp}__norm"] = norm
        out[f"{comp}__contrib"] = contrib
        contribs.append(contrib)
    out["score"] = np.sum(contribs, axis=0)
    out["missing"] = missing.astype(str)
    tiebreak = (pd.to_numeric(out["police_harm"], errors="coerce").fillna(-np.inf)
                if "police_harm" in out.columns else pd.Series(0.0, index=out.index))
    order = np.lexsort((out.index.astype(str).to_numpy(), -tiebreak.to_numpy(),
                        -out["score"].to_numpy()))
    out = out.iloc[order]
    out["rank"] = np.arange(1, len(out) + 1, dtype=np.int64)
    out.attrs["weights"] = w.to_dict()
    out.attrs["components"] = comps
    return out


def contribution_differences(ranked: pd.DataFrame, a: str, b: str) -> pd.Series:
    """Return contribution(A) − contribution(B) per component, largest first.

    Parameters
    ----------
    ranked : pandas.DataFrame
        Output of :func:`score_candidates`.
    a, b : str
        Candidate codes (index values).

    Returns
    -------
    pandas.Series
        Index component names, values in score units; sums to score(A) − score(B).
    """
    problems = [Problem(f"no candidate {code!r} in the ranking", column=AREA_CODE)
                for code in (a, b) if code not in ranked.index]
    if problems:
        raise AnalysisError("cannot compare candidates", problems)
    comps = ranked.attrs.get("components") or component_columns(ranked)
    cols = [f"{c}__contrib" for c in comps]
    diff = ranked.loc[a, cols].astype(float) - ranked.loc[b, cols].astype(float)
    diff.index = comps
    return diff.sort_values(ascending=False, kind="stable")


def _signed(value: float) -> str:
    """Format a score difference with a sign, keeping small ones visible (+0.004)."""
    return f"{value:+.2f}" if abs(value) >= 0.005 else f"{value:+.3f}"


def explain(ranked: pd.DataFrame, a: str, b: str, *, top: int = 2) -> str:
    """Say in plain English which components put candidate A above (or below) B.

    Parameters
    ----------
    ranked : pandas.DataFrame
        Output of :func:`score_candidates`.
    a, b : str
        Candidate codes. Names in the text come from the ``name`` column when present.
    top : int
        How many leading components to name.

    Returns
    -------
    str
        E.g. ``"Alpha ranks above Beta (score 0.71 vs 0.43) mainly because of police harm
        (+0.21) and vulnerability (IMD) (+0.08); Beta scores higher on assets (-0.03)."``
        Plain text: escape before putting it into HTML.
    """
    diff = contribution_differences(ranked, a, b)
    name_a, name_b = (str(ranked.loc[c, "name"]) if "name" in ranked.columns else c
                      for c in (a, b))
    above = int(ranked.loc[a, "rank"]) < int(ranked.loc[b, "rank"])
    first, second = (name_a, name_b) if above else (name_b, name_a)
    signed = diff if above else -diff
    signed = signed.sort_values(ascending=False, kind="stable")
    score_1, score_2 = (float(ranked.loc[c, "score"]) for c in ((a, b) if above else (b, a)))
    pros = signed[signed > 0].head(top)
    cons = signed[signed < 0].sort_values(kind="stable").head(1)
    text = f"{first} ranks above {second} (score {score_1:.2f} vs {score_2:.2f})"
    if pros.empty:
        text += " only on the tie-break (police harm, then code)"
    else:
        parts = [f"{component_label(c)} ({_signed(v)})" for c, v in pros.items()]
        text += " mainly because of " + " and ".join(parts)
    if not cons.empty:
        c, v = next(iter(cons.items()))
        text += f"; {second} scores higher on {component_label(c)} ({_signed(v)})"
    return text + "."

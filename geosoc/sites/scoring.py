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
It is robust to one extreme ward but compresses very different harm into near scores.
``"minmax"``: ``(v - min) / (max - min)``, clipped to [0, 1], 0.5 when all are equal.
``"max"`` keeps magnitudes: ``v / max(v)`` clipped to [0, 1] (0 when the largest value is not
positive), so a ward with 60% of the top ward's harm scores 0.6.

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

import numpy as np
import pandas as pd

from geosoc.errors import AnalysisError, ConfigError, Problem, SchemaError
from geosoc.schema import AREA_CODE
from geosoc.sites.weights import (
    COMPONENTS,
    DEFAULT_WEIGHTS,
    ScoreWeights,
    component_columns,
    component_label,
)

__all__ = [
    "DEFAULT_WEIGHTS",
    "ScoreWeights",
    "contribution_differences",
    "explain",
    "normalise",
    "score_candidates",
]


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
        the reference has one value or all equal values. ``"max"``: ``v / max`` clipped to
        [0, 1] (magnitude-preserving; 1 for every value when all are equal and positive).

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
    if method == "max" and ref.size:
        top = ref[-1]
        out[ok] = np.clip(v[ok] / top, 0.0, 1.0) if top > 0 else 0.0
    elif ref.size == 0 or ref[0] == ref[-1]:
        out[ok] = 0.5
    elif method == "rank":
        below = np.searchsorted(ref, v[ok], side="left")
        upto = np.searchsorted(ref, v[ok], side="right")
        out[ok] = (below + upto) / 2.0 / ref.size
    elif method == "minmax":
        out[ok] = np.clip((v[ok] - ref[0]) / (ref[-1] - ref[0]), 0.0, 1.0)
    else:
        raise ConfigError(f"unknown normalisation {method!r}",
                          [Problem("normalisation must be 'rank', 'minmax' or 'max'",
                                   column="--scaling")])
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

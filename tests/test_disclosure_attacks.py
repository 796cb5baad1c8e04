"""Attacks on partner and public outputs: can a suppressed count be recovered exactly?

Each attack uses the library functions the pages and the CLI use (``disclosure.tables``), on
the fictional demo town, as a partner or the public would: ask for many outputs (filtered
by category or month, at two geography levels or two H3 resolutions) and subtract; or invert
the published Gi* z-scores by least squares. A *target* is a value the role sees as
suppressed whose true count is at least 1 and for which the attack yields an estimate.

Every attack is run twice: against the threshold-only rules (the control, which the attack
must break, so the attack is known to work) and against the release
(:mod:`geosoc.disclosure.release`, each base value perturbed once), where its exact recovery
rate must stay within :data:`geosoc.disclosure.cell_key.EXACT_DIFFERENCE_RATE` (20.5%, the
rate of a difference of two independent noises, which the earlier per-output design
stated) plus three binomial standard errors; the averaging attack, which beat that design,
must now stay there too. The release's own stated rates and the attacks through the CLI, on
the real City of London data and over N = 1 ... 200 queries are in
``tests/test_release_attacks.py``. The measured rates are printed (``pytest -s``) and quoted in
``docs/disclosure.md``.
"""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import least_squares

from geosoc.aggregate import build_area_index, cover_area, harm_by_area, harm_by_cell
from geosoc.aggregate.cells import cell_polygons, h3_strs_to_int, parent_cells
from geosoc.disclosure import disclose_cells, rules_for, suppress
from geosoc.disclosure.cell_key import (
    EXACT_DIFFERENCE_RATE,
    KEY_RANGE,
    NOISE_PROBABILITIES,
    add_key_sums,
    attach_record_keys,
    keyed_incidents,
)
from geosoc.disclosure.tables import disclosed_areas, disclosed_cells, disclosed_series
from geosoc.harm import apply_harm_weights
from geosoc.hotspots import find_hotspots, h3_graph
from geosoc.hotspots.local_stats import gi_star_z

SECRET = b"attack-suite-server-key-0123456789abcdef"
RATES: dict[str, tuple[int, int, float]] = {}


def averaged_exact_rate(n_estimates: int) -> float:
    """P(the rounded mean of ``n_estimates`` independent two-term differences is exact)."""
    values = np.array(sorted(NOISE_PROBABILITIES))
    p = np.array([NOISE_PROBABILITIES[v] for v in values]) / KEY_RANGE
    diff = np.convolve(p, p[::-1])  # distribution of n1 - n2 over -4..4
    total = np.array([1.0])
    for _ in range(n_estimates):
        total = np.convolve(total, diff)
    support = np.arange(len(total)) - (len(total) - 1) // 2
    return float(total[np.abs(support) * 2 < n_estimates].sum())


def _bound(rate: float, n: int) -> float:
    return rate + 3 * np.sqrt(rate * (1 - rate) / max(n, 1)) + 1 / max(n, 1)


def _report(name: str, exact: int, targets: int, bound: float) -> float:
    rate = exact / targets if targets else 0.0
    RATES[name] = (exact, targets, bound)
    print(f"\n{name}: {exact} of {targets} suppressed counts recovered exactly "
          f"({rate:.1%}); design rate {bound:.1%}")
    return rate


@pytest.fixture(scope="module")
def town():
    from geosoc.synth.demo import load_demo

    demo = load_demo()
    incidents = attach_record_keys(apply_harm_weights(demo.incidents), SECRET)
    return demo, incidents, build_area_index(demo.wards)


def _areas(incidents, wards, index, role, perturb):
    """A ward layer as the role gets it; ``perturb=False`` is the threshold-only control."""
    if perturb:
        return disclosed_areas(incidents, wards, role, index=index, secret=SECRET)
    raw = harm_by_area(incidents, wards, index=index)
    return suppress(raw, replace(rules_for(role), perturb=False))


def _count(frame, column="count"):
    return frame[column].astype(float)


@pytest.mark.parametrize("role", ["partner", "public"])
@pytest.mark.parametrize("perturb", [False, True])
def test_differencing_by_category(town, role, perturb) -> None:
    """Total minus "everything but category c" gives category c per ward."""
    demo, incidents, index = town
    wards = demo.wards
    total = _count(_areas(incidents, wards, index, role, perturb))
    exact = targets = 0
    for category in incidents["category"].unique():
        mine = incidents["category"] == category
        alone = _areas(incidents[mine], wards, index, role, perturb)
        rest = _count(_areas(incidents[~mine], wards, index, role, perturb))
        truth = harm_by_area(incidents[mine], wards, index=index)["count"]
        hidden = alone["suppressed"] & (truth > 0) & total.notna() & rest.notna()
        targets += int(hidden.sum())
        exact += int(((total - rest)[hidden] == truth[hidden]).sum())
    if role == "public":  # rounding to 5 blurs even the control's differences
        assert targets > 20
    rate = _report(f"category differencing ({role}, {'cell key' if perturb else 'control'})",
                   exact, targets, EXACT_DIFFERENCE_RATE)
    if perturb:
        assert rate <= _bound(EXACT_DIFFERENCE_RATE, targets)
    elif role == "partner":
        assert targets > 50 and rate > 0.95  # the attack works on thresholds alone


@pytest.mark.parametrize("perturb", [False, True])
def test_differencing_by_month_partner(town, perturb) -> None:
    """Months a..m minus months a..m-1 gives month m per ward (one category)."""
    demo, incidents, index = town
    robbery = incidents[incidents["category"] == "Robbery"]
    months = sorted(robbery["month"].unique())
    exact = targets = 0
    for last in range(1, len(months)):
        upto = _count(_areas(robbery[robbery["month"] <= months[last]], demo.wards, index,
                             "partner", perturb))
        before = _count(_areas(robbery[robbery["month"] <= months[last - 1]], demo.wards,
                               index, "partner", perturb))
        one = robbery[robbery["month"] == months[last]]
        alone = _areas(one, demo.wards, index, "partner", perturb)
        truth = harm_by_area(one, demo.wards, index=index)["count"]
        hidden = alone["suppressed"] & (truth > 0) & upto.notna() & before.notna()
        targets += int(hidden.sum())
        exact += int(((upto - before)[hidden] == truth[hidden]).sum())
    rate = _report(f"month differencing (partner, {'cell key' if perturb else 'control'})",
                   exact, targets, EXACT_DIFFERENCE_RATE)
    assert targets > 50
    if perturb:
        assert rate <= _bound(EXACT_DIFFERENCE_RATE, targets)
    else:
        assert rate > 0.95


def test_differencing_by_quarter_public(town) -> None:
    """The public's version: quarters a..q minus a..q-1 per ward (rounded to 5)."""
    demo, incidents, index = town
    robbery = incidents[incidents["category"] == "Robbery"]
    quarter = robbery["month"].dt.asfreq("Q")
    quarters = sorted(quarter.unique())
    exact = targets = 0
    for last in range(1, len(quarters)):
        upto = _count(_areas(robbery[quarter <= quarters[last]], demo.wards, index,
                             "public", True))
        before = _count(_areas(robbery[quarter <= quarters[last - 1]], demo.wards, index,
                               "public", True))
        one = robbery[quarter == quarters[last]]
        alone = _areas(one, demo.wards, index, "public", True)
        truth = harm_by_area(one, demo.wards, index=index)["count"]
        hidden = alone["suppressed"] & (truth > 0) & upto.notna() & before.notna()
        targets += int(hidden.sum())
        exact += int(((upto - before)[hidden] == truth[hidden]).sum())
    rate = _report("quarter differencing (public, cell key)", exact, targets,
                   EXACT_DIFFERENCE_RATE)
    assert targets > 50
    assert rate <= _bound(EXACT_DIFFERENCE_RATE, targets)


def test_public_sees_quarters_only(town) -> None:
    """A month asked for by the public is widened to its quarter; series come as quarters."""
    _, incidents, _ = town
    series = disclosed_series(incidents, "public", months=("2024-05", "2024-05"),
                              secret=SECRET)
    assert list(series.columns[:1]) == ["quarter"]
    assert series["quarter"].astype(str).tolist() == ["2024Q2"]
    month_only = incidents[incidents["month"] == pd.Period("2024-05", "M")]
    quarter = incidents[incidents["month"].dt.asfreq("Q") == pd.Period("2024Q2", "Q")]
    # rounding + the released noise of the quarter's base cells (month x category x source)
    n_base = len(quarter.groupby(["month", "category", "source"]).size())
    assert abs(series["count"].iloc[0] - len(quarter)) <= 2.5 + 4 * np.sqrt(2.0 * n_base)
    assert abs(series["count"].iloc[0] - len(month_only)) > 100


@pytest.mark.parametrize("perturb, parents", [(False, False), (True, False), (True, True)])
def test_differencing_ward_minus_other_lsoas(town, perturb, parents) -> None:
    """A ward total minus the other LSOAs inside it gives the suppressed LSOA (partner).

    With ``parents`` the LSOA layer is disclosed as the app and the profile do, each ward a
    secondary-suppression group of its LSOAs; without, the cell key noise alone protects.
    """
    demo, incidents, index = town
    lsoa_index = build_area_index(demo.lsoas)
    points = demo.lsoas.geometry.representative_point().rename_axis("lsoa").to_frame("geometry")
    wards_only = demo.wards[["geometry"]].rename_axis("ward").reset_index()
    ward_of = points.sjoin(wards_only, predicate="within")["ward"]
    exact = targets = 0
    for category in incidents["category"].unique()[:12]:
        chosen = incidents[incidents["category"] == category]
        wards = _count(_areas(chosen, demo.wards, index, "partner", perturb))
        lsoas = (disclosed_areas(chosen, demo.lsoas, "partner", index=lsoa_index,
                                 parents=demo.wards, secret=SECRET) if parents
                 else _areas(chosen, demo.lsoas, lsoa_index, "partner", perturb))
        truth = harm_by_area(chosen, demo.lsoas, index=lsoa_index)["count"]
        shown = _count(lsoas).reindex(ward_of.index)
        for code in ward_of.index[lsoas["suppressed"].reindex(ward_of.index).to_numpy(bool)]:
            ward = ward_of.loc[code]
            siblings = shown[(ward_of == ward) & (ward_of.index != code)]
            if truth.loc[code] == 0 or siblings.isna().any() or np.isnan(wards.loc[ward]):
                continue
            targets += 1
            exact += int(wards.loc[ward] - siblings.sum() == truth.loc[code])
    label = "cell key + ward groups" if parents else "cell key" if perturb else "control"
    rate = _report(f"ward minus LSOAs (partner, {label})", exact, targets,
                   EXACT_DIFFERENCE_RATE)
    assert targets > 5 or parents
    if perturb:
        assert rate <= _bound(EXACT_DIFFERENCE_RATE, targets)


def _parents(index: pd.Index) -> pd.Series:
    ids = parent_cells(h3_strs_to_int(index.to_numpy()), 7)
    return pd.Series([format(int(v), "x") for v in ids], index=index)


@pytest.mark.parametrize("perturb", [False, True])
def test_differencing_across_h3_resolutions(town, perturb) -> None:
    """A resolution-7 total minus its other resolution-8 children gives the hidden child.

    Resolution-7 totals are the sums of their resolution-8 children (as a coarser layer
    merged from finer cells is). The control suppresses each resolution on its own (no
    noise, no parent groups); geosoc's partner layer also treats each resolution-7 parent as
    a secondary-suppression group, and perturbs both layers.
    """
    demo, incidents, _ = town
    cover8 = cover_area(demo.wards, 8)
    parent = _parents(cover8.index)
    control = replace(rules_for("partner"), perturb=False)
    exact = targets = 0
    for category in incidents["category"].unique():
        chosen = incidents[incidents["category"] == category]
        raw8 = harm_by_cell(chosen, 8, cover=cover8)
        keyed = add_key_sums(raw8, harm_by_cell(keyed_incidents(chosen), 8, cover=cover8))
        sums = keyed[["count", "harm", "keysum"]].groupby(parent).sum()
        raw7 = gpd.GeoDataFrame(sums, geometry=np.asarray(cell_polygons(sums.index.to_numpy())),
                                crs=cover8.crs)
        raw7.attrs["h3_resolution"] = 7
        if perturb:
            c8 = disclose_cells(keyed, "partner", secret=SECRET)
            c7 = disclose_cells(raw7, "partner", secret=SECRET)
        else:
            c8 = suppress(raw8, control)
            c7 = suppress(raw7.drop(columns="keysum"), control)
        truth = raw8["count"]
        for code in c8.index[c8["suppressed"].to_numpy(bool)]:
            up = parent.loc[code]
            siblings = c8["count"][(parent == up) & (c8.index != code)]
            if truth.loc[code] == 0 or siblings.isna().any() or np.isnan(c7["count"].loc[up]):
                continue
            targets += 1
            exact += int(c7["count"].loc[up] - siblings.sum() == truth.loc[code])
    rate = _report(f"H3 res 7 minus res 8 (partner, {'cell key' if perturb else 'control'})",
                   exact, targets, EXACT_DIFFERENCE_RATE)
    if perturb:
        assert rate <= _bound(EXACT_DIFFERENCE_RATE, targets)
    else:
        assert targets > 10 and rate > 0.95


def test_averaging_many_differences_stays_within_the_stated_rate(town) -> None:
    """Average the estimates (c + d) - (d) over many categories d, then round.

    Each estimate carries two independent noises, so averaging K of them narrows the error:
    the design states that rate (:func:`averaged_exact_rate`), and the attack must not beat it.
    """
    demo, incidents, index = town
    categories = incidents["category"].value_counts().index.tolist()
    partners = categories[:10]
    targets_c = categories[8:30]
    wards = demo.wards
    single = {c: disclosed_areas(incidents[incidents["category"] == c], wards, "partner",
                                 index=index, secret=SECRET) for c in partners + targets_c}
    exact = targets = 0
    k_used = []
    for target in targets_c:
        truth = harm_by_area(incidents[incidents["category"] == target], wards,
                             index=index)["count"]
        estimates = []
        for other in partners:
            both = incidents["category"].isin([target, other])
            pair = _count(disclosed_areas(incidents[both], wards, "partner", index=index,
                                          secret=SECRET))
            estimates.append(pair - _count(single[other]))
        stacked = pd.concat(estimates, axis=1)
        hidden = single[target]["suppressed"] & (truth > 0)
        for code in wards.index[hidden.to_numpy(bool)]:
            row = stacked.loc[code].dropna()
            if len(row) < 3:
                continue
            targets += 1
            k_used.append(len(row))
            exact += int(round(row.mean()) == truth.loc[code])
    k = int(np.median(k_used)) if k_used else 1
    stated = averaged_exact_rate(k)
    rate = _report(f"averaging {k} differences (partner, cell key)", exact, targets, stated)
    assert targets > 20
    assert rate <= _bound(stated, targets)
    # one release: every difference is the same released value, so averaging gains nothing
    assert rate <= _bound(EXACT_DIFFERENCE_RATE, targets)


def _invert_gi(layer: pd.DataFrame, hidden: np.ndarray) -> np.ndarray:
    """Least-squares solve for the hidden log-harm values from the published Gi* z."""
    graph = h3_graph(layer.index)
    order = pd.Index(graph.unique_ids).get_indexer(layer.index)
    y = np.log1p(layer["harm"].fillna(0.0).to_numpy(dtype=float))
    z_pub = layer["gi_z"].to_numpy(dtype=float)
    known_z = ~np.isnan(z_pub)

    def residuals(x: np.ndarray) -> np.ndarray:
        values = y.copy()
        values[hidden] = x
        ordered = np.empty_like(values)
        ordered[order] = values
        return gi_star_z(ordered, graph)[order][known_z] - z_pub[known_z]

    x0 = np.full(int(hidden.sum()), float(np.median(y[~hidden & (y > 0)])))
    return least_squares(residuals, x0, bounds=(0, np.inf), xtol=1e-12, ftol=1e-12).x


@pytest.mark.parametrize("role, perturb", [("partner", False), ("partner", True),
                                           ("public", False), ("public", True)])
def test_inverting_gi_star_gives_nothing_back(town, role, perturb) -> None:
    """Solve the published Gi* z-scores of a one-category layer for the suppressed cells."""
    demo, incidents, _ = town
    weight = 245.0  # Burglary: harm / weight = count under a one-category filter
    chosen = incidents[incidents["category"] == "Burglary"]
    resolution = 8 if role == "partner" else 7
    cover = cover_area(demo.wards, resolution)
    truth = harm_by_cell(chosen, resolution, cover=cover)["count"]
    if perturb:
        layer = disclosed_cells(chosen, role, resolution=resolution, cover=cover,
                                transform_value="log1p", secret=SECRET)
    else:  # the old behaviour: statistics on raw values, kept beside suppressed cells
        raw = find_hotspots(harm_by_cell(chosen, resolution, cover=cover), "harm",
                            lisa_permutations=9, transform_value="log1p")
        layer = suppress(raw, replace(rules_for(role), perturb=False))
    hidden = layer["suppressed"].to_numpy(bool) & (truth.reindex(layer.index) > 0).to_numpy()
    solved = np.expm1(_invert_gi(layer, layer["suppressed"].to_numpy(bool)))
    recovered = pd.Series(np.round(solved / weight), index=layer.index[
        layer["suppressed"].to_numpy(bool)])
    targets = int(hidden.sum())
    exact = int((recovered.reindex(layer.index[hidden]) == truth.reindex(
        layer.index[hidden])).sum())
    rate = _report(f"Gi* inversion ({role}, {'cell key' if perturb else 'control'})",
                   exact, targets, 0.0)
    assert targets > (10 if role == "partner" else 2)
    if perturb:
        assert exact == 0  # the statistics only encode the published values (hidden = 0)
        assert np.isnan(layer.loc[layer["suppressed"], "gi_z"]).all()
    else:
        assert rate > 0.8

"""Attacks on the one release: many queries, ratios and differences recover nothing new.

Every partner and public figure is a sum of released base values (unit x month x category x
source, each perturbed once: :mod:`geosoc.disclosure.release`). These attacks go through
what a partner or the public really has (the library functions the app and CLI call with
their role, and ``geosoc profile --user <partner>`` output files), on the fictional demo town
and on the real City of London data (24 months of police.uk street crime, 25 wards):

* the release is one fixed table: 40 random queries (category sets, source sets, month
  ranges) each equal the sums of one global release, so no query draws fresh noise;
* category, month-range, source and H3 resolution differencing, each estimate averaged over
  N = 1 ... 200 distinct queries: the exact recovery of suppressed counts at N = 200 equals
  that at N = 1 and stays within the design's stated rate
  (:func:`geosoc.disclosure.release.suppressed_exact_rate`, 35.5%) plus three binomial
  standard errors;
* the harm / count decode (harm divided by count, weights public): it gives back the
  released count, never more;
* the same month-range differencing through ``geosoc profile`` on City of London.

Gi* inversion is in ``tests/test_disclosure_attacks.py`` (it recovers only disclosed values).
Rates are printed with ``pytest -s`` and quoted in ``docs/disclosure.md``.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geosoc.aggregate import cover_area, harm_by_area, harm_by_cell
from geosoc.aggregate.cells import h3_strs_to_int, parent_cells
from geosoc.aggregate.tables import locate_in_areas
from geosoc.disclosure.cell_key import RELEASE_EXACT_RATE, attach_record_keys
from geosoc.disclosure.release import area_units, released_base, suppressed_exact_rate
from geosoc.disclosure.rules import rules_for
from geosoc.disclosure.tables import disclosed_areas, disclosed_cells
from geosoc.harm import apply_harm_weights

SECRET = b"release-attack-suite-key-0123456789abcdef"
NS = (1, 10, 50, 200)


def _bound(rate: float, n: int) -> float:
    return rate + 3 * np.sqrt(rate * (1 - rate) / max(n, 1)) + 1 / max(n, 1)


def _say(name: str, exact: int, targets: int) -> float:
    rate = exact / targets if targets else 0.0
    print(f"\n{name}: {exact} of {targets} suppressed counts exact ({rate:.1%}); "
          f"stated {suppressed_exact_rate(5):.1%}")
    return rate


def _located(incidents: pd.DataFrame, wards) -> pd.DataFrame:
    """Keyed incidents with their ward row (as a stored cube carries it): fast queries."""
    keyed = attach_record_keys(incidents, SECRET)
    pos = locate_in_areas(keyed["lon"].to_numpy(float), keyed["lat"].to_numpy(float), wards)
    located = np.isfinite(keyed["lon"].to_numpy(float))
    return keyed.assign(area_position=np.where(located, pos, -2))


@pytest.fixture(scope="module", params=["demo", "city"])
def town(request):
    """(name, keyed incidents with ``area_position`` in the wards, wards)."""
    if request.param == "demo":
        from geosoc.synth.demo import load_demo

        demo = load_demo()
        return "demo", _located(apply_harm_weights(demo.incidents), demo.wards), demo.wards
    from geosoc import ingest

    city = request.getfixturevalue("city_of_london")
    incidents = apply_harm_weights(ingest.read_policeuk(city / "crime").data)
    wards = ingest.read_boundaries(city / "boundaries/wards_by_lad/E09000001.json",
                                   kind="ward").data
    return "city", _located(incidents, wards), wards


def _wards(rows: pd.DataFrame, wards, role: str = "partner", **kw) -> pd.DataFrame:
    return disclosed_areas(rows, wards, role, secret=SECRET, **kw)


def _truth(rows: pd.DataFrame, wards) -> pd.Series:
    return harm_by_area(rows, wards)["count"]


@pytest.mark.parametrize("role", ["partner", "public"])
def test_every_query_is_a_sum_of_one_release(town, role: str) -> None:
    """40 random queries equal the sums of one global release (public: rounded to 5)."""
    _, incidents, wards = town
    release = released_base(incidents, area_units(incidents, wards), SECRET)
    rng = np.random.default_rng(7)
    categories = incidents["category"].unique()
    sources = incidents["source"].unique()
    months = sorted(incidents["month"].unique())
    rules = rules_for(role)
    checked = 0
    for _ in range(40):
        cats = rng.choice(categories, rng.integers(1, len(categories) + 1), replace=False)
        srcs = rng.choice(sources, rng.integers(1, len(sources) + 1), replace=False)
        a, b = sorted(rng.choice(len(months), 2))
        if role == "public":  # the public's months come widened to quarters
            a = next(i for i in range(a, -1, -1) if months[i].month % 3 == 1)
            b = next(i for i in range(b, len(months)) if months[i].month % 3 == 0) \
                if any(m.month % 3 == 0 for m in months[b:]) else len(months) - 1
        chosen = incidents["category"].isin(cats) & incidents["source"].isin(srcs)
        shown = _wards(incidents[chosen], wards, role,
                       months=(str(months[a]), str(months[b])))
        mine = release[release["category"].isin(cats) & release["source"].isin(srcs)
                       & (release["month"] >= months[a]) & (release["month"] <= months[b])]
        expected = mine.groupby("unit")[["released", "released_harm"]].sum() \
            .reindex(range(len(wards)), fill_value=0.0)
        count = expected["released"].to_numpy(float)
        harm = expected["released_harm"].to_numpy(float)
        if rules.rounding_base > 1:
            count, harm = (np.round(v / 5) * 5 for v in (count, harm))
        visible = shown["count"].notna().to_numpy()
        np.testing.assert_allclose(shown["count"].to_numpy(float)[visible], count[visible])
        # (a public harm of exactly x.5 fives may round either way after float sums)
        np.testing.assert_allclose(shown["harm"].to_numpy(float)[visible], harm[visible],
                                   rtol=0, atol=1e-6 if rules.rounding_base == 1 else 5.0)
        # suppression is a function of the released sums only
        small = (count > 0) & (count < rules.min_count)
        assert not (visible & small).any()
        checked += int(visible.sum())
    assert checked > 200


def _estimates(pairs, wards) -> np.ndarray:
    """Rows: one estimate (first minus second) per query pair; columns: wards."""
    return np.array([(a["count"] - b["count"]).to_numpy(float) for a, b in pairs])


def _exact_by_n(estimates: np.ndarray, truth: np.ndarray, hidden: np.ndarray,
                ns: tuple[int, ...] = NS) -> dict[int, tuple[int, int]]:
    """Exact hits of the rounded mean of the first N estimates, for each N of ``ns``."""
    out = {}
    ok = hidden & np.isfinite(estimates[:max(ns)]).all(axis=0)  # the same targets for every N
    for n in ns:
        if n > len(estimates):
            continue
        part = estimates[:n]
        guess = np.round(part.mean(axis=0))
        out[n] = (int((guess[ok] == truth[ok]).sum()), int(ok.sum()))
    return out


def _check_by_n(name: str, totals: dict[int, list[int]]) -> None:
    rates = {n: _say(f"{name}, N = {n}", *totals[n]) for n in sorted(totals)}
    first, last = min(rates), max(rates)
    assert totals[first][1] >= 10, f"{name}: too few targets"
    assert rates[last] <= rates[first] + 1e-12  # many queries gain nothing
    for n, rate in rates.items():
        assert rate <= _bound(suppressed_exact_rate(5), totals[n][1])


def test_averaging_category_sets_up_to_200(town) -> None:
    """(c + S) - S over 200 distinct random category sets S, averaged: nothing gained."""
    name, incidents, wards = town
    categories = incidents["category"].value_counts()
    rng = np.random.default_rng(11)
    totals: dict[int, list[int]] = {}
    used = 0
    for target in categories.index[::-1]:  # the rarest first: most suppressed ward values
        others = [c for c in categories.index if c != target]
        mine = incidents["category"] == target
        alone = _wards(incidents[mine], wards)
        truth = _truth(incidents[mine], wards).to_numpy(float)
        hidden = alone["suppressed"].to_numpy(bool) & (truth > 0)
        if hidden.sum() < 2 or used == 6:
            continue
        used += 1
        seen: set[tuple[str, ...]] = set()
        pairs = []
        while len(pairs) < 200:
            chosen = tuple(sorted(rng.choice(others, rng.integers(3, len(others)),
                                             replace=False)))
            if chosen in seen:
                continue
            seen.add(chosen)
            rest = incidents["category"].isin(chosen)
            pairs.append((_wards(incidents[rest | mine], wards), _wards(incidents[rest], wards)))
        estimates = _estimates(pairs, wards)
        defined = np.isfinite(estimates).all(axis=0)
        assert (np.ptp(estimates[:, defined], axis=0) == 0).all()  # every difference the same
        for n, (e, t) in _exact_by_n(estimates, truth, hidden).items():
            totals.setdefault(n, [0, 0])
            totals[n][0] += e
            totals[n][1] += t
    _check_by_n(f"category sets ({name})", totals)


def test_averaging_month_ranges_over_every_start(town) -> None:
    """(a..m) - (a..m-1) for every start a, averaged (the attack that beat per-query noise)."""
    name, incidents, wards = town
    totals: dict[int, list[int]] = {}
    for category, last in itertools.product(incidents["category"].value_counts().index[3:6],
                                            range(-6, 0)):
        rows = incidents[incidents["category"] == category]
        months = sorted(incidents["month"].unique())
        last = len(months) + last
        one = rows[rows["month"] == months[last]]
        alone = _wards(one, wards)
        truth = _truth(one, wards).to_numpy(float)
        hidden = alone["suppressed"].to_numpy(bool) & (truth > 0)
        pairs = [(_wards(rows, wards, months=(str(months[a]), str(months[last]))),
                  _wards(rows, wards, months=(str(months[a]), str(months[last - 1]))))
                 for a in range(last - 1, max(last - 18, -1), -1)]  # N = 1: the shortest
        estimates = _estimates(pairs, wards)
        for n, (e, t) in _exact_by_n(estimates, truth, hidden, (1, 5, 10, 17)).items():
            totals.setdefault(n, [0, 0])
            totals[n][0] += e
            totals[n][1] += t
    _check_by_n(f"month ranges ({name}, 3 categories)", totals)


def test_source_differencing(town) -> None:
    """All sources minus all but s, per ward and month (demo: four sources)."""
    name, incidents, wards = town
    sources = incidents["source"].unique()
    if len(sources) < 2:
        pytest.skip(f"{name}: one source only (police.uk)")
    exact = targets = 0
    months = sorted(incidents["month"].unique())[-12:]
    for source, month in itertools.product(sources, months):
        rows = incidents[incidents["month"] == month]
        mine = rows["source"] == source
        alone = _wards(rows[mine], wards)
        truth = _truth(rows[mine], wards).to_numpy(float)
        estimate = (_wards(rows, wards)["count"] - _wards(rows[~mine], wards)["count"]
                    ).to_numpy(float)
        ok = alone["suppressed"].to_numpy(bool) & (truth > 0) & np.isfinite(estimate)
        exact += int((estimate[ok] == truth[ok]).sum())
        targets += int(ok.sum())
    rate = _say(f"source differencing ({name})", exact, targets)
    assert targets >= 10 and rate <= _bound(suppressed_exact_rate(5), targets)


def test_resolution_differencing(town) -> None:
    """A resolution-7 cell minus its other resolution-8 children (both as the partner sees)."""
    name, incidents, wards = town
    cover8, cover7 = cover_area(wards, 8), cover_area(wards, 7)
    exact = targets = 0
    for category in incidents["category"].unique():
        rows = incidents[incidents["category"] == category]
        c8 = disclosed_cells(rows, "partner", resolution=8, cover=cover8, hotspots=False,
                             secret=SECRET)
        c7 = disclosed_cells(rows, "partner", resolution=7, cover=cover7, hotspots=False,
                             secret=SECRET)
        truth = harm_by_cell(rows, 8, cover=cover8)["count"]
        up = pd.Series([format(int(v), "x") for v in parent_cells(
            h3_strs_to_int(c8.index.to_numpy()), 7)], index=c8.index)
        siblings = c8["count"].groupby(up).transform("sum") - c8["count"].fillna(0)
        has_nan = c8["count"].isna().groupby(up).transform("sum") > 1
        estimate = c7["count"].reindex(up.to_numpy()).to_numpy(float) - siblings.to_numpy()
        ok = (c8["suppressed"].to_numpy(bool) & (truth.to_numpy() > 0) & ~has_nan.to_numpy()
              & np.isfinite(estimate))
        exact += int((estimate[ok] == truth.to_numpy()[ok]).sum())
        targets += int(ok.sum())
    rate = _say(f"resolution 7 minus 8 ({name})", exact, targets)
    assert rate <= _bound(suppressed_exact_rate(5), targets)


def _decode(count: np.ndarray, harm: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The decode that broke per-query noise: the n in count +- 2 making harm * n / count a
    possible harm total (a sum of public weights, here tenths of a day); NaN if not unique."""
    out = np.full(len(count), np.nan)
    step = 0.1 if np.allclose(weights * 10, np.round(weights * 10)) else None
    for i, (c, h) in enumerate(zip(count, harm, strict=True)):
        if not (np.isfinite(c) and np.isfinite(h)) or c <= 0 or step is None:
            continue
        fits = [n for n in range(max(1, int(c) - 2), int(c) + 3)
                if abs(h * n / c / step - round(h * n / c / step)) < 1e-6]
        out[i] = fits[0] if len(fits) == 1 else np.nan
    return out


def test_harm_over_count_gives_back_the_released_count_only(town) -> None:
    """Published harm / count and the public weights: the decode finds the released count."""
    name, incidents, wards = town
    weights = np.unique(incidents["harm"].to_numpy(float))
    decoded_exact = published_exact = decoded = 0
    shown_total = 0
    for category in incidents["category"].unique():
        rows = incidents[incidents["category"] != category]  # every category but one
        shown = _wards(rows, wards)
        truth = _truth(rows, wards).to_numpy(float)
        count, harm = shown["count"].to_numpy(float), shown["harm"].to_numpy(float)
        guess = _decode(count, harm, weights)
        ok = np.isfinite(guess)
        decoded += int(ok.sum())
        decoded_exact += int((guess[ok] == truth[ok]).sum())
        visible = np.isfinite(count)
        shown_total += int(visible.sum())
        published_exact += int((count[visible] == truth[visible]).sum())
        assert (guess[ok] == count[ok]).all()  # what it decodes is the published count
    print(f"\nharm/count decode ({name}): {decoded_exact} of {decoded} decoded values true; "
          f"published values equal to the truth: {published_exact} of {shown_total} "
          f"({published_exact / max(shown_total, 1):.1%})")
    assert decoded_exact <= published_exact


def test_city_month_differencing_through_the_cli(city_of_london: Path, tmp_path: Path) -> None:
    """``geosoc profile --user pat --from a --to m`` minus ``--to m-1``, every start a."""
    from team_workspace import PASSWORD  # the test run's $GEOSOC_PASSWORD once the CLI asks

    from geosoc.cli import main
    from geosoc.workspace import Workspace

    ws_path = tmp_path / "ws.sqlite"
    with Workspace.open(ws_path) as ws:
        ws.users.create_user("ana", PASSWORD, "analyst")
        ws.users.create_user("pat", PASSWORD, "partner", by="ana")
    wards = city_of_london / "boundaries/wards_by_lad/E09000001.json"
    assert main(["ingest", str(city_of_london / "crime"), "--kind", "policeuk",
                 "--workspace", str(ws_path), "--name", "police", "--user", "ana"]) == 0
    assert main(["ingest", str(wards), "--kind", "boundaries", "--area-kind", "ward",
                 "--workspace", str(ws_path), "--name", "wards", "--user", "ana"]) == 0

    def ward_counts(user: str, first: str, last: str) -> pd.Series:
        out = tmp_path / f"{user}_{first}_{last}"
        assert main(["profile", "--workspace", str(ws_path), "--user", user, "--from", first,
                     "--to", last, "--out", str(out), "--format", "parquet", "--emerging",
                     "none", "--permutations", "0", "--json"]) == 0
        assert json.loads((out / "summary.json").read_text())
        frame = pd.read_csv(out / "areas_ward.csv", dtype={"area_code": str})
        return frame.set_index("area_code")["count"].astype(float)

    months = [f"2025-{m:02d}" for m in range(7, 13)]  # target 2025-12, starts back to July
    target, before = months[-1], months[-2]
    truth = ward_counts("ana", target, target)
    hidden = ward_counts("pat", target, target).isna() & (truth > 0)
    estimates = [ward_counts("pat", a, target) - ward_counts("pat", a, before)
                 for a in reversed(months[:-1])]
    stacked = pd.concat(estimates, axis=1)
    assert (stacked.nunique(axis=1) <= 1).all()  # every start gives the same difference
    first = stacked.bfill(axis=1).iloc[:, 0].round()[hidden]  # the first pair both shown
    mean = stacked.mean(axis=1).round()[hidden]
    n1 = int((first == truth[hidden]).sum())
    nk = int((mean == truth[hidden]).sum())
    print(f"\nCLI month ranges (City, ward totals, target {target}): N = 1: {n1} of "
          f"{int(hidden.sum())}; N = {len(estimates)}: {nk} of {int(hidden.sum())}")
    assert nk <= n1
    assert n1 <= _bound(suppressed_exact_rate(5), int(hidden.sum())) * max(int(hidden.sum()), 1)


def test_stated_rates() -> None:
    """The design's rates: 52/256 unchanged at most; 35.5% for a shown-suppressed value."""
    assert pytest.approx(52 / 256) == RELEASE_EXACT_RATE
    assert suppressed_exact_rate(5) == pytest.approx(0.3545, abs=1e-4)
    assert suppressed_exact_rate(10) == pytest.approx(0.3529, abs=1e-4)
    # a single base cell's: the released value when suppressed equals the truth
    assert _single_cell_rate(5) < suppressed_exact_rate(5)


def _single_cell_rate(min_count: int) -> float:
    from geosoc.disclosure.cell_key import noise_for

    keys = np.arange(256)
    rates = []
    for count in range(1, min_count):
        shown = count + noise_for(np.full(256, count), keys)
        hidden = (shown >= 1) & (shown < min_count)
        rates.append(float((hidden & (shown == count)).sum() / hidden.sum()))
    return max(rates)

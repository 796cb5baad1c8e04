"""Launch headlines: plain words first (where harm is, how it changed), the statistic after."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest

from geosoc.maps.vendor import missing_files
from geosoc.report.headline import (
    change_sentence,
    concentration_sentences,
    launch_headlines,
    statistic_sentence,
)


def _wards(harm: list[float]) -> pd.DataFrame:
    names = [f"Ward {chr(65 + i)}" for i in range(len(harm))]
    return pd.DataFrame({"name": names, "harm": harm},
                        index=[f"E0599900{i}" for i in range(len(harm))])


def test_concentration_names_the_wards_that_hold_a_third() -> None:
    wards = _wards([400.0, 300.0, *[100.0] * 18])  # total 2,500
    first, second = concentration_sentences(wards)
    assert first == ("Harm concentrates in Ward A: 16% of all recorded harm, 3.2 times the "
                     "average ward.")
    # 400 + 300 = 28%, + 100 = 32%, + 100 = 36%: four wards reach a third
    assert second == ("A third of all harm (36%) is in 4 of the 20 wards: Ward A, Ward B, "
                      "Ward C and Ward D.")


def test_evenly_spread_harm_is_said_to_be_spread() -> None:
    sentences = concentration_sentences(_wards([100.0] * 20))
    assert "spread widely" in sentences[1] and "15%" in sentences[1]


def test_suppressed_areas_count_as_zero_and_few_areas_say_nothing() -> None:
    wards = _wards([500.0, float("nan"), 250.0, 250.0])
    assert concentration_sentences(wards)[0].startswith("Harm concentrates in Ward A: 50%")
    assert concentration_sentences(_wards([1.0, 2.0])) == []
    assert concentration_sentences(_wards([0.0] * 5)) == []


def test_change_compares_the_latest_year_with_the_year_before() -> None:
    quarters = pd.period_range("2023Q1", "2024Q4", freq="Q")
    series = pd.DataFrame({"quarter": quarters, "harm": [100.0] * 4 + [80.0] * 4})
    assert change_sentence(series) == ("Harm in the latest 4 quarters (2024Q1 to 2024Q4) was "
                                       "20% lower than in the 4 quarters before.")
    rising = series.assign(harm=[100.0] * 4 + [125.0] * 4)
    assert "25% higher" in change_sentence(rising)
    months = pd.DataFrame({"month": pd.period_range("2024-01", periods=6, freq="M"),
                           "harm": [10.0, 10.0, 10.0, 10.0, 10.0, 10.0]})
    assert "about the same" in change_sentence(months)
    gap = series.assign(harm=[100.0] * 7 + [float("nan")])
    assert change_sentence(gap) is None  # a suppressed quarter: no claim


def test_statistic_says_what_twenty_wards_can_show() -> None:
    layer = _wards([1.0] * 20).assign(hotspot_bin=0)
    sentence = statistic_sentence(layer, kind="wards")
    assert sentence.startswith("Statistic: Getis-Ord Gi*")
    assert "none of the 20 wards" in sentence and "little power" in sentence
    cells = pd.DataFrame({"hotspot_bin": [3, 2, 1, 0] * 100})
    many = statistic_sentence(cells, kind="H3 cells")
    assert "found 200 of the 400 H3 cells" in many and "little power" not in many


def test_headlines_lead_with_words_and_end_with_the_statistic() -> None:
    wards = _wards([400.0, 300.0, *[100.0] * 18]).assign(hotspot_bin=0)
    series = pd.DataFrame({"quarter": pd.period_range("2023Q1", "2024Q4", freq="Q"),
                           "harm": [100.0] * 4 + [90.0] * 4})
    said = launch_headlines(wards, series, wards, concentration="50% of harm is in 10% of "
                            "cells", layer_kind="wards")
    assert said.lead[0].startswith("Harm concentrates in Ward A")
    assert said.lead[2].startswith("Harm in the latest 4 quarters")
    assert said.lead[3] == "Over the map's cells: 50% of harm is in 10% of cells."
    assert "Gi*" not in " ".join(said.lead) and "little power" in said.statistic


# --- the demo town's public launch pack ------------------------------------------------------

@pytest.fixture(scope="module")
def public_pack() -> str:
    if missing_files():
        pytest.skip("map assets not fetched: run python -m geosoc.maps.vendor")
    import geopandas as gpd

    from geosoc.hotspots.profile import build_profile
    from geosoc.report.profile_report import ReportInputs, render_profile_report
    from geosoc.synth.demo import load_demo

    town = load_demo()
    profile = build_profile(town.incidents, {"ward": town.wards}, resolution=9,
                            lisa_permutations=99, emerging_freq=None)
    site = gpd.GeoDataFrame({"name": [town.site.name]}, geometry=[town.site.geometry],
                            crs="EPSG:4326")
    inputs = ReportInputs(title="Demoford", site=site, assets=town.assets,
                          incidents=town.incidents, demo=True)
    return render_profile_report(profile, role="public", inputs=inputs)


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment))


def test_public_demo_pack_leads_with_where_harm_is(public_pack) -> None:
    first = public_pack.index("<section")
    section = public_pack[first:public_pack.index("</section>", first)]
    assert "What the data shows" in section
    lead = _text(re.search(r"<p class='lead'>(.*?)</p>", section).group(1))
    # the injected hot spot is the CHB site, Market Square: the lead names it
    assert lead.startswith("Harm concentrates in Market Square:"), lead
    assert "0 hot spot units" not in public_pack
    words = _text(section)
    assert words.index("A third of all harm") < words.index("Statistic: Getis-Ord Gi*")
    assert "little power" in words


def test_public_site_share_is_the_sites_own_not_its_coarse_cells(public_pack) -> None:
    site = re.search(r"<section class='site'>(.*?)</section>", public_pack).group(1)
    share = int(re.search(r"\((\d+)% of the whole study area's harm\)", _text(site)).group(1))
    lead = _text(re.search(r"<p class='lead'>(.*?)</p>", public_pack).group(1))
    ward_share = int(re.search(r": (\d+)% of all recorded harm", lead).group(1))
    # the demo site is the Market Square ward: the two shares agree (the site figure used
    # to be the harm of the two ~5 km² public cells around it, 45%)
    assert abs(share - ward_share) <= 1, (share, ward_share)


def test_the_average_is_over_the_areas_the_data_cover() -> None:
    # 25 wards of the force's own data and 111 neighbouring wards with a few snapped points
    wards = _wards([*[400.0] * 24, 2000.0, *[0.5] * 111])
    first = concentration_sentences(wards)[0]
    # 2000 against the average of the 25 covered wards (11,600 / 25 = 464), not of 136
    assert "4.3 times the average of the 25 wards the data cover" in first
    assert "111 wards outside the data" in first
    assert "times the average ward." in concentration_sentences(_wards([400.0, 300.0,
                                                                        *[100.0] * 18]))[0]

"""Site ranking on the demo town: the injected CHB site must come out on top."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geosoc.cli import main
from geosoc.errors import AnalysisError
from geosoc.harm import apply_harm_weights
from geosoc.sites.candidates import score_site
from geosoc.sites.ranking import baseline_period, hotspot_cells, in_period, rank_sites
from geosoc.synth.demo import DemoTown, load_demo

#: Harm (days) for partner categories the default weights table may not list yet.
UNKNOWN_HARM = 5.0


@pytest.fixture(scope="module")
def demo() -> DemoTown:
    return load_demo()


@pytest.fixture(scope="module")
def baseline(demo: DemoTown) -> gpd.GeoDataFrame:
    start, end = baseline_period(demo.site.phases)
    assert (start, end) == tuple(str(p) for p in demo.site.phases["baseline"])
    return in_period(apply_harm_weights(demo.incidents, unknown=UNKNOWN_HARM), start, end)


def inputs(demo: DemoTown) -> dict[str, object]:
    return {"lsoas": demo.lsoas, "imd": demo.imd, "assets": demo.assets}


def test_site_ward_ranks_top_three_at_ward_scale(demo: DemoTown, baseline) -> None:
    ranked = rank_sites(baseline, wards=demo.wards, **inputs(demo))
    print(ranked[["name", "rank", "score"]].head(5))
    assert ranked.loc[demo.site.ward_code, "rank"] <= 3
    assert (ranked["missing"] == "").all()
    assert ranked.attrs["period"] == [str(p) for p in demo.site.phases["baseline"]]
    # the ward with the site also holds the worst persistent hotspot (P1)
    assert ranked.loc[demo.site.ward_code, "hotspot"] > ranked["hotspot"].median()


def test_drawn_site_scores_like_its_ward(demo: DemoTown, baseline) -> None:
    ranked = rank_sites(baseline, wards=demo.wards, **inputs(demo))
    cells = hotspot_cells(baseline, demo.wards, 9)
    site = score_site(demo.site.geometry, ranked, baseline, name=demo.site.name,
                      hotspots=cells, **inputs(demo))
    assert site["missing"].iloc[0] == ""
    assert site["would_rank"].iloc[0] <= 3
    ward = ranked.loc[demo.site.ward_code]
    assert site["police_harm"].iloc[0] == pytest.approx(ward["police_harm"], rel=0.02)


def test_h3_regions_find_the_site(demo: DemoTown, baseline) -> None:
    ranked = rank_sites(baseline, wards=demo.wards, scale="h3", target_km2=0.8,
                        max_regions=6, **inputs(demo))
    assert len(ranked) == 6 and ranked["complete"].all()
    assert ranked["area_km2"].between(0.8, 0.8 + 0.11).all()  # one res-9 cell of tolerance
    top3 = ranked.head(3).geometry
    assert top3.intersects(demo.site.geometry).any()


def test_cli_writes_files_and_saves_the_site(tmp_path: Path, demo: DemoTown) -> None:
    out, ws = tmp_path / "out", tmp_path / "ws.sqlite"
    code = main(["sites", "rank", "--demo", "--json", "--out", str(out), "--unknown-harm",
                 str(UNKNOWN_HARM), "--weights", "trend=0.1", "--save-site", "Demo site",
                 "--workspace", str(ws), "--demo", "--user", "analyst1"])
    assert code == 0
    table = pd.read_csv(out / "site_ranking_ward.csv", dtype={"area_code": str})
    assert table["rank"].tolist() == list(range(1, len(table) + 1))
    geo = gpd.read_file(out / "site_ranking_ward.geojson")
    assert len(geo) == len(table) and geo.crs.to_epsg() == 4326
    meta = json.loads((out / "site_ranking_ward.json").read_text())
    assert meta["weights"]["trend"] == 0.1 and meta["marking"] == "DEMO — fictional data"
    from geosoc.workspace import Workspace

    with Workspace.open(ws) as opened:
        sites = opened.sites.frame()
        assert sites.index.tolist() == ["Demo site"]
        assert sites["score"].iloc[0]["code"] == table["area_code"].iloc[0]
        saved, written = sites.geometry.iloc[0], geo.geometry.iloc[0]
        assert shapely.symmetric_difference(saved, written).area < 1e-9 * saved.area


def test_cli_rejects_bad_weights(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sites", "rank", "--demo", "--json", "--weights", "polise=1", "harm"]) == 2
    err = json.loads(capsys.readouterr().out)
    assert err["error"] == "ConfigError" and len(err["problems"]) == 2


def test_cli_ranks_the_workspace_datasets(tmp_path: Path, demo: DemoTown,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from geosoc.ingest import read_boundaries, read_imd
    from geosoc.synth.demo import ensure_demo
    from geosoc.workspace import Workspace
    from geosoc.workspace.dataset_store import store_dataset

    root, ws_path = ensure_demo(), tmp_path / "chb.sqlite"
    assert main(["ingest", str(root / "police"), "--kind", "policeuk", "--workspace",
                 str(ws_path), "--name", "police", "--user", "ana"]) == 0
    with Workspace.open(ws_path) as ws:
        for name, ingested in {
            "wards": read_boundaries(root / "boundaries" / "wards.geojson", kind="ward"),
            "lsoas": read_boundaries(root / "boundaries" / "lsoas.geojson", kind="lsoa"),
            "imd": read_imd(next((root / "deprivation").glob("*.csv"))),
        }.items():
            kind = "imd" if name == "imd" else "boundaries"
            store_dataset(ws, ingested, name=name, kind=kind, user="ana", role="analyst")
    capsys.readouterr()
    start, end = (str(p) for p in demo.site.phases["baseline"])
    assert main(["sites", "rank", "--workspace", str(ws_path), "--from", start, "--to", end,
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    ranking = pd.DataFrame(result["ranking"]).set_index("area_code")
    assert ranking.loc[demo.site.ward_code, "rank"] <= 3
    assert result["period"] == [start, end]
    assert "vulnerability" in ranking.columns and "assets" not in ranking.columns  # no register


def test_candidates_with_too_few_incidents_are_not_ranked(demo: DemoTown, baseline) -> None:
    counts = rank_sites(baseline, wards=demo.wards, **inputs(demo), min_count=0)
    threshold = int(counts["police_count"].median())
    ranked = rank_sites(baseline, wards=demo.wards, **inputs(demo), min_count=threshold)
    assert (ranked["police_count"] >= threshold).all()
    assert set(ranked.attrs["excluded"]) == set(counts.index[counts["police_count"] < threshold])
    assert sorted(ranked["rank"]) == list(range(1, len(ranked) + 1))
    with pytest.raises(AnalysisError, match="enough incidents"):
        rank_sites(baseline, wards=demo.wards, **inputs(demo), min_count=10**9)
    with pytest.raises(AnalysisError, match="LSOA boundaries"):
        rank_sites(baseline, wards=demo.wards, imd=demo.imd)

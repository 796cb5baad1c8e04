"""The phase and displacement analysis recovers the effects injected into the demo town.

The manifest states, per phase and zone, the expected % change against the counterfactual
(no CHB). We estimate it as the change relative to the demo's control wards,
``(Z1/Z0) / (C1/C0) - 1``, and accept it within 3 standard errors of the log ratio
(``sqrt(1/Z0 + 1/Z1 + 1/C0 + 1/C1)``, Poisson) plus 3 percentage points for the control not
sharing the zone's trend exactly.
"""

from __future__ import annotations

import json
import math

import pytest
import shapely

from geosoc.cli import main
from geosoc.phases.change import LAYER_HARM, LAYER_POLICE, PhasePlan, compare_phases
from geosoc.phases.displacement import displacement_report
from geosoc.phases.rings import buffer_rings

RING_KEYS = {"0-250 m ring": "ring_0_250", "250-500 m ring": "ring_250_500"}


@pytest.fixture(scope="module")
def demo():
    from geosoc.synth.demo import load_demo

    return load_demo()


@pytest.fixture(scope="module")
def analysis(demo):
    police = demo.incidents[demo.incidents["source"] == "police"]
    plan = PhasePlan.from_dates(**{k: (str(a), str(b)) for k, (a, b) in demo.site.phases.items()})
    controls = demo.manifest.truth["control_wards"]
    control = shapely.union_all(demo.wards.loc[controls].geometry.to_numpy())
    rings = buffer_rings(demo.site.geometry, (0, *demo.manifest.site["ring_bands_m"]))
    report = displacement_report(police, demo.site.geometry, plan, rings=rings,
                                 control_geometry=control)
    return {"police": police, "plan": plan, "control": control, "report": report,
            "expected": demo.manifest.effects["expected_pct"]}


def _relative(z0: float, z1: float, c0: float, c1: float) -> tuple[float, float]:
    """Change relative to control (%) and the tolerance (%) for it."""
    ratio = (z1 / z0) / (c1 / c0)
    se = math.sqrt(1 / z0 + 1 / z1 + 1 / c0 + 1 / c1)
    return 100 * (ratio - 1), 100 * (math.exp(3 * se) - 1) + 3


@pytest.mark.parametrize("phase", ["clear", "hold", "build"])
def test_site_fall_recovered(analysis, phase):
    row = analysis["report"].query("phase == @phase").iloc[0]
    got, tol = _relative(row["site_before"], row["site_after"], row["control_before"],
                         row["control_after"])
    want = analysis["expected"][phase]["site"]["count_pct"]
    assert abs(got - want) < tol, (phase, got, want, tol)


@pytest.mark.parametrize("phase", ["clear", "hold", "build"])
@pytest.mark.parametrize("ring", list(RING_KEYS))
def test_ring_change_recovered(analysis, phase, ring):
    row = analysis["report"].query("phase == @phase and ring == @ring").iloc[0]
    got, tol = _relative(row["ring_before"], row["ring_after"], row["control_before"],
                         row["control_after"])
    want = analysis["expected"][phase][RING_KEYS[ring]]["count_pct"]
    assert abs(got - want) < tol, (phase, ring, got, want, tol)


def test_readings_name_the_injected_story(analysis):
    report = analysis["report"].set_index(["phase", "ring"])
    clear = report.loc[("clear", "0-250 m ring")]
    assert clear["wdd_ci_high"] < 0  # the Clear fall is significant relative to control
    assert clear["reading"].startswith("crime fell")
    hold = report.loc[("hold", "0-250 m ring")]
    assert hold["wdq"] < 0  # Hold: displacement into the inner ring...
    assert hold["tne"] > 0  # ...but a net gain overall
    assert hold["wdq_band"] == "some displacement, net gain"
    build = report.loc[("build", "0-250 m ring")]
    assert build["wdq"] > 0  # Build: diffusion of benefit into the inner ring
    assert build["wdq_band"] == "diffusion of benefit"


def test_police_activity_rises_in_clear_and_is_kept_apart(analysis, demo):
    table = compare_phases(analysis["police"], demo.site.geometry, analysis["plan"])
    totals = table[table["category"] == "all"]
    activity = totals[totals["layer"] == LAYER_POLICE].set_index("phase")
    clear = activity.loc["clear"]
    baseline = activity.loc["baseline"]
    # drugs/weapons finds are few: check the injected rise within 3 SE of the log rate ratio
    want = 1 + analysis["expected"]["clear"]["site"]["activity_pct"] / 100
    se = math.sqrt(1 / clear["count"] + 1 / baseline["count"])
    assert clear["rate_ratio"] > 1
    assert abs(math.log(clear["rate_ratio"]) - math.log(want)) < 3 * se
    assert clear["reading"].startswith("rate ratio") and "significant" not in clear["reading"]
    harm = totals[totals["layer"] == LAYER_HARM].set_index("phase")
    assert harm.loc["clear", "rr_ci_high"] < 1
    assert "not calibrated" in harm.loc["clear", "reading"]


@pytest.fixture
def cached_demo(demo, monkeypatch):
    """Let the CLI reuse the module's demo instead of reading it again (~10 s)."""
    monkeypatch.setattr("geosoc.synth.demo.load_demo", lambda *args, **kwargs: demo)


def test_cli_writes_tables_charts_and_summary(tmp_path, capsys, cached_demo):
    code = main(["phases", "report", "--demo", "--out", str(tmp_path), "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["marking"] == "OFFICIAL-SENSITIVE"
    assert summary["phases"]["clear"][0] <= summary["phases"]["hold"][0]
    for name in ("phases.csv", "monthly.csv", "displacement_count.csv",
                 "displacement_harm.csv", "summary.json", "summary.md"):
        assert (tmp_path / name).stat().st_size > 0
    for name in ("phases_count.png", "phases_harm.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert any(t.startswith("Hold, 0-250 m ring, crime") for t in summary["displacement"]["count"])
    # the calibrated verdict leads, names its method, and one line per phase x zone x measure
    assert summary["verdict"]["verdict"] in ("effect", "no evidence of an effect",
                                             "cannot evaluate yet")
    assert "placebo-in-space" in summary["verdict"]["method"]
    assert len(summary["verdicts"]) == 3 * 3 * 2
    # the injected Clear fall (-40% against the counterfactual) stands out after Holm
    clear = next(v for v in summary["verdicts"]
                 if (v["phase"], v["zone"], v["measure"]) == ("clear", "site", "count"))
    assert clear["verdict"] == "significant fall"
    assert summary["verdict"]["claim"]
    assert "significant fall in the site during Clear" in summary["verdict"]["reading"]
    assert all(v["reading"].startswith(v["phase"].capitalize()) for v in summary["verdicts"])
    # the published measures are numbers, with no significance claim
    assert all("WDQ" in t and "significant" not in t for t in summary["displacement"]["harm"])
    assert all("no verdict" in t and "significant" not in t for t in summary["site_change"])
    assert len(summary["sppt"]) == 3 * 3 and "SPPT" in summary["sppt"][0]
    assert (tmp_path / "verdicts.csv").stat().st_size > 0


def test_cli_watch_reports_hold_months_for_site_rings_and_neighbours(capsys, cached_demo):
    code = main(["phases", "watch", "--demo", "--json"])  # the demo is asked for
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["hold"] == ["2024-04", "2024-09"]
    watch = out["watch"]
    kinds = {w["kind"] for w in watch}
    assert kinds == {"site", "ring", "neighbour"}
    assert {w["month"] for w in watch} == {f"2024-0{m}" for m in range(4, 10)}
    assert out["alerts"] == sum(w["alert"] for w in watch)
    assert all(w["status"] in ("tested", "cannot evaluate yet") for w in watch)
    # the injected Hold displacement into the inner ring shows as more than expected
    inner = [w["ratio"] for w in watch if w["zone"] == "0-250 m ring"]
    assert len(inner) == 6 and sum(inner) / 6 > 1.1


def test_cli_rejects_unknown_source(tmp_path, capsys, cached_demo):
    code = main(["phases", "report", "--demo", "--out", str(tmp_path), "--source", "nobody",
                 "--json"])
    assert code == 2
    error = json.loads(capsys.readouterr().out)
    assert error["problems"][0]["column"] == "--source"


def test_cli_workspace_site(tmp_path, capsys, demo):
    from geosoc.synth.demo import ensure_demo
    from geosoc.workspace import Workspace

    root = ensure_demo()
    path = tmp_path / "chb.sqlite"
    phases = {k: (str(a), str(b)) for k, (a, b) in demo.site.phases.items() if k != "baseline"}
    phases["build"] = (phases["build"][0], None)  # Build still running: open-ended
    with Workspace.open(path) as ws:
        ws.sites.add("Market Square", demo.site.geometry, reason="test", chosen_by="ana",
                     chosen_on="2023-12-01", user="ana", role="analyst")
        ws.sites.set_phases("Market Square", phases, user="ana", role="analyst")
    code = main(["phases", "report", "--workspace", str(path), "--site", "Market Square",
                 "--police", str(root / "police"),
                 "--wards", str(root / "boundaries" / "wards.geojson"),
                 "--out", str(tmp_path / "out"), "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["site"] == "Market Square"
    assert summary["phases"]["baseline"] == ["2023-01", "2023-12"]  # default: 12 months
    assert summary["phases"]["build"][1] == demo.manifest.months[1]  # open end = data end
    assert summary["control"].startswith("control wards best matching")
    assert demo.site.ward_code not in summary["control"]
    assert summary["site_change"][0].startswith("Clear, harm in the site: raw change -")


def test_cli_workspace_needs_site(tmp_path, capsys):
    code = main(["phases", "report", "--workspace", str(tmp_path / "w.sqlite"),
                 "--out", str(tmp_path), "--json"])
    assert code == 2
    assert json.loads(capsys.readouterr().out)["problems"][0]["column"] == "--site"


def _workspace_with_site(path, demo, phases=None):
    from geosoc.workspace import Workspace

    phases = phases or {k: (str(a), str(b)) for k, (a, b) in demo.site.phases.items()}
    with Workspace.open(path) as ws:
        ws.sites.add("Market Square", demo.site.geometry, reason="test", chosen_by="ana",
                     chosen_on="2023-12-01", user="ana", role="analyst")
        ws.sites.set_phases("Market Square", phases, user="ana", role="analyst")


def test_cli_workspace_runs_on_stored_datasets(tmp_path, capsys, demo):
    from geosoc.ingest import read_boundaries
    from geosoc.synth.demo import ensure_demo
    from geosoc.workspace import Workspace
    from geosoc.workspace.dataset_store import store_dataset

    root = ensure_demo()
    path = tmp_path / "chb.sqlite"
    _workspace_with_site(path, demo)
    assert main(["ingest", str(root / "police"), "--kind", "policeuk", "--workspace",
                 str(path), "--name", "police", "--user", "ana"]) == 0
    with Workspace.open(path) as ws:
        store_dataset(ws, read_boundaries(root / "boundaries" / "wards.geojson", kind="ward"),
                      name="wards", kind="boundaries", user="ana", role="analyst")
    capsys.readouterr()
    code = main(["phases", "report", "--workspace", str(path), "--site", "Market Square",
                 "--out", str(tmp_path / "out"), "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["phases"]["baseline"] == [str(p) for p in demo.site.phases["baseline"]]
    assert summary["control"].startswith("control wards best matching")
    assert demo.site.ward_code not in summary["control"]
    assert summary["site_change"][0].startswith("Clear, harm in the site: raw change -")
    assert any(t.startswith("Hold, 0-250 m ring, crime") for t in summary["displacement"]["count"])


def test_cli_workspace_without_data_says_what_to_ingest(tmp_path, capsys, demo):
    path = tmp_path / "chb.sqlite"
    _workspace_with_site(path, demo)
    code = main(["phases", "report", "--workspace", str(path), "--site", "Market Square",
                 "--out", str(tmp_path / "out"), "--json"])
    assert code == 2
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert [p["fix"].split()[:4] for p in problems] == [
        ["geosoc", "ingest", "POLICE_FOLDER", "--kind"], ["geosoc", "ingest", "FILE", "--kind"]]
    assert "--area-kind ward" in problems[1]["fix"]

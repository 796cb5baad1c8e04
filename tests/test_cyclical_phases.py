"""Cyclical phase plans: a resumed Clear is a phase of its own in every analysis."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geosoc.errors import AnalysisError
from geosoc.harm import apply_harm_weights
from geosoc.phases import PhasePlan, compare_phases, displacement_report, monthly_series
from geosoc.phases.rings import buffer_rings
from geosoc.report.phase_chart import phase_chart
from geosoc.synth.demo import DemoTown, load_demo

CYCLE = [("clear", "2024-01", "2024-03"), ("hold", "2024-04", "2024-06"),
         ("clear", "2024-07", "2024-08"), ("hold", "2024-09", "2025-03"),
         ("build", "2025-04", "2025-12")]


@pytest.fixture(scope="module")
def demo() -> DemoTown:
    return load_demo()


def test_repeats_are_named_by_occurrence_and_ordered_in_time() -> None:
    plan = PhasePlan.from_sequence(CYCLE)
    assert [p.name for p in plan.phases] == ["baseline", "clear", "hold", "clear 2", "hold 2",
                                             "build"]
    assert plan.hold.end == pd.Period("2024-06", "M")  # the first Hold keeps its name
    trimmed, notes = plan.within("2023-01", "2024-10")
    assert [p.name for p in trimmed.phases] == ["baseline", "clear", "hold", "clear 2",
                                                "hold 2"]
    assert any("build starts after the data ends" in n for n in notes)


def test_overlapping_repeats_are_refused() -> None:
    with pytest.raises(AnalysisError, match="starts"):
        PhasePlan.from_sequence([("clear", "2024-01", "2024-03"),
                                 ("hold", "2024-04", "2024-06"),
                                 ("clear", "2024-06", "2024-08")])


def test_every_analysis_handles_a_resumed_clear(demo: DemoTown, tmp_path: Path) -> None:
    plan, _ = PhasePlan.from_sequence(CYCLE).within("2023-01", "2025-12")
    incidents = apply_harm_weights(demo.incidents, unknown=1.0)
    table = compare_phases(incidents, demo.site.geometry, plan)
    assert {"clear", "clear 2", "hold 2"} <= set(table["phase"])
    rings = buffer_rings(demo.site.geometry, (0.0, 250.0, 500.0))
    control = demo.wards.loc[list(demo.manifest.truth["control_wards"])].union_all()
    report = displacement_report(incidents, demo.site.geometry, plan, rings=rings,
                                 control_geometry=control, measure="count")
    assert {"clear 2", "hold 2"} <= set(report["phase"])
    zones = {"site": demo.site.geometry, "control": control}
    series = monthly_series(incidents, zones, months=plan.span)
    phase_chart(series, plan, measure="count", path=tmp_path / "cycle.png", title="cycle")
    assert (tmp_path / "cycle.png").stat().st_size > 10_000


def test_cli_phases_set_takes_a_cycle(demo: DemoTown, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    from geosoc.cli import main
    from geosoc.workspace import Workspace

    path = tmp_path / "cycle.sqlite"
    with Workspace.open(path) as ws:
        ws.users.create_user("ana", "correct horse battery staple", "analyst")
        ws.sites.add("S", demo.site.geometry, reason="r", chosen_by="ana",
                     chosen_on="2023-12-01", user="ana", role="analyst")
    monkeypatch.setenv("GEOSOC_USER", "ana")
    base = ["phases", "set", "--workspace", str(path), "--site", "S", "--json"]
    cycle = "clear:2024-01:2024-03,hold:2024-04:2024-06,clear:2024-07:2024-08,hold:2024-09:"
    assert main([*base, "--cycle", cycle]) == 0
    with Workspace.open(path) as ws:
        stored = ws.sites.phases("S")
    assert stored["phase"].tolist() == ["baseline", "clear", "hold", "clear", "hold"]
    assert stored["occurrence"].tolist() == [1, 1, 1, 2, 2]
    capsys.readouterr()
    assert main([*base, "--cycle", "clear:2024-01:2024-03,build:2024-04:"]) == 2
    assert "build may not follow clear" in capsys.readouterr().out
    assert main([*base]) == 2  # neither --clear nor --cycle

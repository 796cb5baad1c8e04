"""The 6-month review pack: every section filled for the demo, role-safe, deterministic, audited."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from geosoc.cli import main
from geosoc.disclosure.point_leaks import find_point_leaks
from geosoc.errors import AccessDeniedError
from geosoc.report.review_inputs import demo_review_inputs, trim_plan
from geosoc.report.review_pack import render_review_pack
from geosoc.synth.demo import DEFAULT_DEMO_DIR, DemoTown, load_demo
from geosoc.workspace import Workspace

AS_OF = pd.Period("2024-12", freq="M")
WHEN = datetime(2025, 1, 6, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo() -> DemoTown:
    return load_demo()


def render(demo: DemoTown, role: str, when: datetime = WHEN) -> str:
    return render_review_pack(demo_review_inputs(demo, AS_OF, role=role), role=role,
                              generated_at=when)


def _published_vertices(demo: DemoTown) -> set[str]:
    """The ``lon,lat`` keys of what the pack's site map draws on purpose."""
    from geosoc.disclosure.point_leaks import coordinate_keys
    from geosoc.report.review_pack import _map_points

    points = _map_points(demo_review_inputs(demo, AS_OF, role="partner"))
    return set(coordinate_keys(points["lon"].to_numpy(), points["lat"].to_numpy()))


def test_every_section_is_filled_for_the_demo_site(demo: DemoTown) -> None:
    page = render(demo, "analyst")
    for heading in ("Phases", "Harm change and displacement", "Activity and disruption (4P)",
                    "MoRiLE threat scores", "Community perception",
                    "Data caveats"):
        assert f"<h2>{heading}</h2>" in page
    assert "No activity recorded" not in page and "No MoRiLE" not in page
    assert "Community asset coverage: " in page and "4P pillar" in page
    # the calibrated verdict leads, with its method; the injected Clear fall is found
    assert "<strong>Verdict:</strong>" in page and "placebo-in-space" in page
    assert "significant fall in the site during Clear" in page
    assert "significant change" in page  # the seeded waves improve
    assert page.count("<svg") == 2  # harm series and MoRiLE, with phase bands
    assert "OFFICIAL-SENSITIVE" in page and "fictional" in page


def test_partner_and_public_packs_hold_no_notes_points_or_small_counts(
        demo: DemoTown) -> None:
    analyst, partner, public = (render(demo, r) for r in ("analyst", "partner", "public"))
    assert "fictional demo record" in analyst
    # the site and ring outlines are published on purpose: a vertex that falls on an
    # incident's 1-m spot is not a leak (the guard allows the same; the demo has one)
    published = _published_vertices(demo)
    for page in (partner, public):
        assert "fictional demo record" not in page and "Notes (analyst" not in page
        assert not [k for k in find_point_leaks(page, demo.incidents) if k not in published]
    assert "OFFICIAL</div>" in public and "per quarter" in public
    # verdict figures come from raw counts: only the analyst copy carries them
    assert "typical change of" in analyst
    for page in (partner, public):
        assert "typical change of" not in page and "significant fall" in page
    assert "Activities per month" not in public and "What was done" not in public


def test_two_runs_differ_only_in_the_timestamp(demo: DemoTown) -> None:
    first = render(demo, "partner")
    second = render(demo, "partner", datetime(2026, 2, 1, 10, 0, tzinfo=UTC))
    strip = re.compile(r"Produced [0-9: -]+UTC")
    assert first != second
    assert strip.sub("", first) == strip.sub("", second)


def test_text_from_the_log_is_escaped(demo: DemoTown) -> None:
    inputs = demo_review_inputs(demo, AS_OF, role="analyst")
    acts = inputs.activities.copy()
    acts.loc[0, "notes"] = "<script>alert('x')</script>"
    acts.loc[1, "agency"] = "<img src=x onerror=alert(1)>"
    page = render_review_pack(inputs.__class__(**{**inputs.__dict__, "activities": acts}),
                              role="analyst", generated_at=WHEN)
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "<img src=x" not in page


def test_phases_are_trimmed_to_the_review_month() -> None:
    plan = pd.DataFrame({"phase": ["baseline", "clear", "hold", "build"],
                         "start_month": pd.PeriodIndex(["2023-01", "2024-01", "2024-04",
                                                        "2024-10"], freq="M"),
                         "end_month": pd.PeriodIndex(["2023-12", "2024-03", "2024-09", None],
                                                     freq="M")})
    trimmed = trim_plan(plan, pd.Period("2024-06", freq="M"))
    assert trimmed["phase"].tolist() == ["baseline", "clear", "hold"]
    assert str(trimmed["end_month"].iloc[-1]) == "2024-06"


def test_cli_review_from_a_workspace_is_audited_and_role_limited(
        demo: DemoTown, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from geosoc.synth import writer

    demo_dir = Path(DEFAULT_DEMO_DIR)
    path = tmp_path / "chb.sqlite"
    monkeypatch.setenv("GEOSOC_USER", "ana")
    assert main(["ingest", str(demo_dir / writer.POLICE_DIR), "--kind", "policeuk",
                 "--workspace", str(path), "--name", "police"]) == 0
    with Workspace.open(path) as ws:
        ws.users.create_user("ana", "correct horse battery staple", "analyst")
        ws.users.create_user("pat", "correct horse battery staple", "partner", by="ana")
        ws.sites.add("Market Square", demo.site.geometry, reason="demo", chosen_by="ana",
                     chosen_on="2023-12-01", user="ana", role="analyst")
        ws.sites.set_phases("Market Square", {p: (s, e) for p, (s, e) in
                                              demo.site.phases.items()},
                            user="ana", role="analyst")
    acts = tmp_path / "log.csv"
    pd.read_csv(demo_dir / writer.OPERATIONS_FILES["activities"]).to_csv(acts, index=False)
    assert main(["activities", "import", str(acts), "--workspace", str(path), "--site",
                 "Market Square"]) == 0
    out = tmp_path / "review.html"
    args = ["review", "--workspace", str(path), "--site", "Market Square", "--as-of",
            "2024-12", "--out", str(out), "--purpose", "Home Office review"]
    assert main([*args, "--role", "partner"]) == 0
    page = out.read_text()
    assert "95 activities recorded" in page and "fictional demo record" not in page
    with Workspace.open(path) as ws:
        log = ws.audit_log(role="analyst")
        row = log[log["action"] == "export.review"].iloc[-1]
        assert row["purpose"] == "Home Office review" and ws.verify_audit_chain().ok
    monkeypatch.setenv("GEOSOC_USER", "pat")
    capsys.readouterr()
    assert main([*args, "--role", "analyst"]) == 2
    assert "may not export" in capsys.readouterr().err
    assert main([*args[:-2], "--role", "partner"]) == 2  # no purpose


def test_a_public_reader_cannot_be_given_notes_through_the_store(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "w.sqlite") as ws, pytest.raises(AccessDeniedError):
        ws.operations.set_agency("nobody", "x", by="ana", role="analyst")

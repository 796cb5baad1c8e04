"""Structured asset fields: capabilities, 4P pillars, engagement, contact owner, staleness."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from geosoc.assets.capabilities import stale_flags, verification_status
from geosoc.assets.files import validate_assets
from geosoc.errors import AccessDeniedError, SchemaError
from geosoc.workspace import Workspace


def test_capabilities_pillars_and_engagement_are_normalised() -> None:
    raw = pd.DataFrame({"name": ["Hub", "Gym"], "category": ["youth", "sport"],
                        "lon": ["-0.09", "-0.09"], "lat": ["51.5", "51.5"],
                        "skills": ["Mentoring; county lines, knitting", ""],
                        "4P": ["protect; PREVENT;prevent", "all"],
                        "engagement status": ["Delivering", ""]})
    out = validate_assets(raw)
    assert out["capabilities"].tolist() == ["mentoring; exploitation awareness", ""]
    assert out["capabilities_other"].tolist() == ["knitting", ""]
    assert out["pillars"].tolist() == ["prevent; protect", "pursue; prevent; protect; prepare"]
    assert out["engagement"].tolist() == ["delivering", "not contacted"]


def test_unknown_pillars_and_engagement_are_problems_with_a_fix() -> None:
    raw = pd.DataFrame({"name": ["Hub"], "category": ["youth"], "lon": ["-0.09"],
                        "lat": ["51.5"], "pillars": ["prevnt"], "engagement": ["engagd"]})
    with pytest.raises(SchemaError) as err:
        validate_assets(raw, file="f.csv")
    problems = {p.column: p for p in err.value.problems}
    assert set(problems) == {"pillars", "engagement"}
    assert problems["engagement"].fix == "did you mean 'engaged'?"
    assert problems["pillars"].row == 2


def test_stale_after_twelve_months_or_never_verified() -> None:
    dates = pd.Series(["2025-12-03", "2025-12-02", "", None])
    assert verification_status(dates, as_of=date(2026, 12, 3)).tolist() == [
        "current", "stale", "never verified", "never verified"]
    assert stale_flags(dates, as_of=date(2026, 12, 3)).tolist() == [False, True, True, True]


def test_contact_owner_is_analyst_only(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws.sqlite",
                        clock=lambda: datetime(2026, 12, 3, tzinfo=UTC)) as ws:
        asset = ws.assets.add({"name": "Hub", "category": "youth", "lon": -0.09, "lat": 51.5,
                               "contact_owner": "PC Smith", "pillars": "prevent"},
                              user="ana", role="analyst")
        assert ws.assets.frame(role="analyst")["contact_owner"].tolist() == ["PC Smith"]
        assert ws.assets.frame(role="partner")["contact_owner"].tolist() == [""]
        assert ws.assets.history(asset["asset_id"], role="public")["contact_owner"].tolist() \
            == [""]
        with pytest.raises(AccessDeniedError):
            ws.assets.edit(asset["asset_id"], {"contact_owner": "me"}, expected_version=1,
                           user="pat", role="partner")
        with pytest.raises(AccessDeniedError):
            ws.assets.add({"name": "X", "category": "youth", "lon": -0.09, "lat": 51.5,
                           "contact_owner": "me"}, user="pat", role="partner")
        moved = ws.assets.edit(asset["asset_id"], {"engagement": "engaged", "lon": -0.091},
                               expected_version=1, user="pat", role="partner")
        assert (moved["engagement"], moved["contact_owner"], moved["lon"]) == (
            "engaged", "PC Smith", -0.091)

"""Issue 27, point 5 and the file modes: each smaller access fault, fixed and pinned.

- partners and the public see MoRiLE as a site-level trend, never a score or OCG reference;
- a free-text perception answer from fewer respondents than the threshold stays in the
  analyst copy; no share is computed as if the hidden answers did not exist;
- a missing server key is reported, never silently replaced (and a replaced key is named as
  the cause, not a "tampered role"); a key named only in ``$GEOSOC_CONFIG`` is the key every
  shell uses;
- the workspace, its dataset folder, archives, the key and tokens are readable by their owner
  only.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from team_workspace import PASSWORD

from geosoc.cli import main
from geosoc.config import key_file_path, server_key
from geosoc.errors import ConfigError
from geosoc.operations import (
    OTHER_ANSWERS,
    compare_waves,
    morile_by_phase,
    morile_for_role,
    phase_of,
    suppress_small_cells,
    validate_morile,
    validate_waves,
    waves_for_role,
)
from geosoc.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
PLAN = pd.DataFrame({"phase": ["baseline", "clear", "hold"],
                     "start_month": [pd.Period("2024-01", "M"), pd.Period("2024-04", "M"),
                                     pd.Period("2024-07", "M")],
                     "end_month": [pd.Period("2024-03", "M"), pd.Period("2024-06", "M"),
                                   pd.Period("2024-09", "M")]})
SECRET = "my neighbour at no 4 deals"
WHEN = datetime(2025, 1, 6, 9, 30, tzinfo=UTC)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- MoRiLE ------------------------------------------------------------------------------

def _morile() -> pd.DataFrame:
    raw = pd.DataFrame({
        "date": ["2024-01-15", "2024-02-15", "2024-05-15", "2024-05-20", "2024-08-15"],
        "score": [600, 620, 400, 420, 410], "ocg_ref": ["OCG-0412", "OCG-0412", "OCG-0412",
                                                        "OCG-0977", "OCG-0977"]})
    return validate_morile(raw, today=pd.Timestamp("2025-01-01").date())


def test_partners_and_the_public_see_a_site_trend_never_a_score_or_reference() -> None:
    series = _morile()
    phases = phase_of(series["date"], PLAN)
    analyst = morile_for_role(series, phases, "analyst")
    pd.testing.assert_frame_equal(analyst, morile_by_phase(series, phases))
    assert set(analyst["ocg_ref"]) == {"OCG-0412", "OCG-0977"}
    for role in ("partner", "public"):
        shown = morile_for_role(series, phases, role)
        assert list(shown.columns) == ["phase", "trend"]
        # medians by hand: baseline 610, clear 410 (400, 420), hold 410
        assert shown["trend"].tolist() == ["first assessed phase",
                                           "lower than the phase before",
                                           "about the same as the phase before"]
        text = shown.to_csv()
        assert "OCG" not in text and "610" not in text and "410" not in text


def test_partner_and_public_review_packs_name_no_ocg(demo_inputs) -> None:
    from geosoc.report.review_pack import render_review_pack

    refs = set(demo_inputs["analyst"].morile["ocg_ref"]) - {""}
    assert refs
    for role, inputs in demo_inputs.items():
        page = render_review_pack(inputs, role=role, generated_at=WHEN)
        if role == "analyst":
            assert all(ref in page for ref in refs)
        else:
            assert not any(ref in page for ref in refs)
            assert "MoRiLE threat trend" in page and "than the phase before" in page


# --- perception ---------------------------------------------------------------------------

def _waves() -> pd.DataFrame:
    return validate_waves(pd.DataFrame({
        "wave": ["W1"] * 3 + ["W2"] * 3,
        "question": ["Q"] * 6,
        "response": ["safe", "unsafe", SECRET] * 2,
        "respondents": [92, 181, 1, 151, 120, 0]}))


def test_a_free_text_answer_below_the_threshold_is_pooled_unnamed() -> None:
    waves = _waves()
    assert waves_for_role(waves, "analyst").equals(waves)
    for role in ("partner", "public"):
        shown = waves_for_role(waves, role)
        assert SECRET not in set(shown["response"])
        # the pool of 1 is too small alone: the smaller named answer (safe, 243 in all)
        # joins it, so the pool cannot be read as the total minus the others
        by = shown.set_index(["wave", "response"])["respondents"]
        assert by[("W1", "unsafe")] == 181 and by[("W1", OTHER_ANSWERS)] == 93
        assert by[("W2", OTHER_ANSWERS)] == 151
        result = compare_waves(shown, "W1", "W2").set_index("response")
        # every share is of all 274 (W1) and 271 (W2) respondents: none is hidden
        assert result.loc["unsafe", "share_before"] == pytest.approx(181 / 274)
        assert result.loc["unsafe", "share_after"] == pytest.approx(120 / 271)


def test_no_share_is_computed_as_if_hidden_answers_did_not_exist() -> None:
    waves = validate_waves(pd.DataFrame({
        "wave": ["W1"] * 3 + ["W2"] * 3, "question": ["Q"] * 6,
        "response": ["a", "b", "c"] * 2, "respondents": [100, 50, 3, 110, 40, 2]}))
    hidden = suppress_small_cells(waves)  # c hidden, and b with it (secondary)
    result = compare_waves(hidden, "W1", "W2")
    assert result["share_before"].isna().all()  # not 1.0 for "a"
    assert result["verdict"].str.contains("suppressed, so shares are not known").all()
    pooled = compare_waves(waves_for_role(waves, "partner"), "W1", "W2").set_index("response")
    assert pooled.loc["a", "share_before"] == pytest.approx(100 / 153)


def test_a_question_that_cannot_be_shown_is_suppressed_whole() -> None:
    waves = validate_waves(pd.DataFrame({
        "wave": ["W1", "W1", "W2", "W2"], "question": ["Q"] * 4,
        "response": ["yes", SECRET] * 2, "respondents": [12, 2, 9, 1]}))
    shown = waves_for_role(waves, "partner")
    assert shown["response"].tolist() == [OTHER_ANSWERS] * 2
    assert shown["respondents"].isna().all()


def test_review_pack_keeps_free_text_in_the_analyst_copy(demo_inputs) -> None:
    from geosoc.report.review_pack import render_review_pack

    for role, inputs in demo_inputs.items():
        waves = inputs.waves
        extra = waves.iloc[[0]].assign(response=SECRET, respondents=1)
        page = render_review_pack(replace(inputs, waves=pd.concat([waves, extra])), role=role,
                                  generated_at=WHEN)
        assert (SECRET in page) == (role == "analyst")
        if role != "analyst":
            assert "Other answers" in page


@pytest.fixture(scope="module")
def demo_inputs() -> dict[str, object]:
    from geosoc.report.review_inputs import demo_review_inputs
    from geosoc.synth.demo import load_demo

    demo = load_demo()
    return {r: demo_review_inputs(demo, pd.Period("2024-12", "M"), role=r)
            for r in ("analyst", "partner", "public")}


# --- the server key -----------------------------------------------------------------------

@pytest.fixture
def own_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A server key file of this test only, created by the first workspace."""
    key = tmp_path / "server" / "audit.key"
    monkeypatch.setenv("GEOSOC_AUDIT_KEY_FILE", str(key))
    monkeypatch.delenv("GEOSOC_CONFIG", raising=False)
    return key


def _staffed(path: Path) -> Path:
    with Workspace.open(path) as ws:
        ws.users.create_user("ana", PASSWORD, "analyst")
        ws.users.create_user("pat", PASSWORD, "partner", by="ana")
    return path


def test_a_missing_key_is_refused_never_silently_replaced(own_key: Path, tmp_path: Path,
                                                          capsys) -> None:
    assert not own_key.exists()
    ws_path = _staffed(tmp_path / "w.sqlite")
    assert own_key.exists()  # created with the first workspace
    assert _mode(own_key) == 0o600 and _mode(own_key.parent) == 0o700
    own_key.unlink()
    with pytest.raises(ConfigError, match="server key file is missing"):
        Workspace.open(ws_path, create=False)
    assert main(["users", "list", "--workspace", str(ws_path), "--user", "ana"]) == 2
    err = capsys.readouterr().err
    assert "server key file is missing" in err and "restore the key file" in err
    assert "tampered" not in err
    assert not own_key.exists()  # nothing made a new key behind the user's back


def test_a_replaced_key_is_named_as_the_cause_not_a_tampered_role(own_key: Path,
                                                                  tmp_path: Path,
                                                                  capsys) -> None:
    ws_path = _staffed(tmp_path / "w.sqlite")
    own_key.write_text("ab" * 32 + "\n")  # a new key where the old one was
    assert main(["users", "list", "--workspace", str(ws_path), "--user", "ana"]) == 2
    err = capsys.readouterr().err
    assert "server key does not match this workspace" in err and str(own_key) in err
    assert "tampered role" not in err


def test_a_key_named_only_in_the_config_file_is_the_key_of_every_shell(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "etc" / "geosoc.toml"
    config.parent.mkdir()
    config.write_text('audit_key_file = "keys/server.key"\n')
    monkeypatch.setenv("GEOSOC_CONFIG", str(config))
    monkeypatch.delenv("GEOSOC_AUDIT_KEY_FILE", raising=False)
    assert key_file_path() == config.parent / "keys" / "server.key"
    ws_path = _staffed(tmp_path / "w.sqlite")  # users signed with the configured key
    assert (config.parent / "keys" / "server.key").exists()
    # the app's sign-in in another process, another home: the same key, no "tampered role"
    env = {**os.environ, "HOME": str(tmp_path / "elsewhere"),
           "XDG_CONFIG_HOME": str(tmp_path / "elsewhere" / ".config")}
    env.pop("GEOSOC_AUDIT_KEY_FILE", None)
    code = ("import sys; from geosoc.workspace import Workspace\n"
            "with Workspace.open(sys.argv[1], create=False) as ws:\n"
            "    print(ws.users.authenticate('pat', sys.argv[2]).role)")
    run = subprocess.run([sys.executable, "-c", code, str(ws_path), PASSWORD], env=env,
                         cwd=ROOT, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "partner"
    run = subprocess.run([sys.executable, "-m", "geosoc", "users", "list", "--workspace",
                          str(ws_path), "--user", "ana"], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert server_key() == bytes.fromhex((config.parent / "keys" / "server.key").read_text())


# --- files readable by their owner only ---------------------------------------------------

def test_workspace_datasets_archive_and_token_are_private(tmp_path: Path) -> None:
    from team_workspace import team_workspace

    from geosoc.synth.demo import DEFAULT_DEMO_DIR, ensure_demo

    ws_path = team_workspace(Path(ensure_demo(DEFAULT_DEMO_DIR)), tmp_path / "t.sqlite")
    assert _mode(ws_path) == 0o600
    assert _mode(tmp_path / "t.datasets") == 0o700
    archive = tmp_path / "b.zip"
    assert main(["workspace", "backup", "--workspace", str(ws_path), "--user", "ana",
                 "--out", str(archive)]) == 0
    assert _mode(archive) == 0o600
    assert main(["login", "--workspace", str(ws_path), "--user", "ana"]) == 0
    tokens = list((Path(os.environ["XDG_CONFIG_HOME"]) / "geosoc" / "tokens").glob("*.token"))
    assert tokens and all(_mode(t) == 0o600 for t in tokens)
    assert _mode(tokens[0].parent) == 0o700


def test_the_first_workspace_creates_the_key_and_says_so(own_key: Path, tmp_path: Path,
                                                         capsys) -> None:
    ws_path = tmp_path / "new.sqlite"
    assert main(["users", "add", "ana", "--role", "analyst", "--workspace", str(ws_path)]) == 0
    err = capsys.readouterr().err
    assert own_key.exists() and f"created a new server key at {own_key}" in err
    assert main(["users", "list", "--workspace", str(ws_path), "--user", "ana"]) == 0
    assert "server key" not in capsys.readouterr().err  # said once, when it was made


def test_a_restored_workspace_is_private_too(tmp_path: Path) -> None:
    from team_workspace import team_workspace

    from geosoc.synth.demo import DEFAULT_DEMO_DIR, ensure_demo

    ws_path = team_workspace(Path(ensure_demo(DEFAULT_DEMO_DIR)), tmp_path / "t.sqlite")
    archive, target = tmp_path / "b.zip", tmp_path / "again" / "r.sqlite"
    assert main(["workspace", "backup", "--workspace", str(ws_path), "--user", "ana",
                 "--out", str(archive)]) == 0
    assert main(["workspace", "restore", str(archive), "--workspace", str(target), "--user",
                 "ana"]) == 0
    assert _mode(target) == 0o600 and _mode(target.with_name("r.datasets")) == 0o700
    assert all(_mode(p) == 0o600 for p in target.with_name("r.datasets").rglob("*")
               if p.is_file())

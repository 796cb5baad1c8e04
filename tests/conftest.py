"""Shared pytest fixtures: where the real data lives, and temporary workspaces."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ``../shared/data``; skips the test, saying why, when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA} (clone with ../shared beside it)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def city_of_london(shared_data: Path) -> Path:
    """Path to the City of London folder of the real data."""
    return shared_data / "city-of-london"


@pytest.fixture(scope="session", autouse=True)
def _server_key_outside_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the server key and audit checkpoints of the test run in a temporary folder.

    The key is fixed, so cell key noise (and so every disclosed figure) is the same on every
    run; subprocesses inherit the variable, so CLI tests use the same key as the library.
    """
    import os

    key_file = tmp_path_factory.mktemp("server-config") / "audit.key"
    key_file.write_text("5e" * 32 + "\n")
    os.environ["GEOSOC_AUDIT_KEY_FILE"] = str(key_file)
    os.environ.pop("GEOSOC_AUDIT_KEY", None)
    os.environ.pop("GEOSOC_CONFIG", None)


@pytest.fixture(scope="session", autouse=True)
def _cli_password(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Let CLI tests act as their users: they share one password, ``$GEOSOC_PASSWORD``.

    Acting as a workspace user needs their password or a token (issue 27), so the test
    users are created with :data:`team_workspace.PASSWORD` and the command line reads it
    from the environment (subprocesses inherit it). Tests of refusals unset it. Tokens from
    ``geosoc login`` are saved in a temporary folder, never the real home.
    """
    import os

    from team_workspace import PASSWORD

    os.environ["GEOSOC_PASSWORD"] = PASSWORD
    os.environ.pop("GEOSOC_TOKEN", None)
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("user-config"))


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo town, generated once per test module (app and pack tests read it)."""
    from geosoc.synth.demo import ensure_demo

    return ensure_demo(tmp_path_factory.mktemp("demo"))

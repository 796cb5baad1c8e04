"""Users: salted argon2id hashes, sign-in, lockout with an injected clock, the CLI."""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from geosoc.cli import build_parser, main
from geosoc.errors import AccessDeniedError, AuthenticationError, WorkspaceError
from geosoc.workspace import LockoutPolicy, Workspace

FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PASSWORD = "correct horse battery staple"


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ws(tmp_path: Path, clock: FakeClock):
    with Workspace.open(tmp_path / "ws.sqlite", clock=clock, hasher=FAST) as workspace:
        workspace.users.create_user("ana", PASSWORD, "analyst")
        yield workspace


def test_hashes_are_salted_argon2id_and_never_listed(ws: Workspace) -> None:
    ws.users.create_user("bob", PASSWORD, "partner", by="ana")
    hashes = [r[0] for r in ws._conn.execute("SELECT password_hash FROM users")]
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert hashes[0] != hashes[1]  # same password, different salt
    assert PASSWORD not in " ".join(hashes)
    assert "password_hash" not in ws.users.list(role="analyst").columns


def test_authenticate_returns_the_user(ws: Workspace) -> None:
    assert ws.users.authenticate("ana", PASSWORD).role == "analyst"
    assert ws.audit_log(role="analyst")["action"].tolist()[-1] == "sign_in.ok"


def test_unknown_user_and_wrong_password_look_the_same(ws: Workspace) -> None:
    with pytest.raises(AuthenticationError) as unknown:
        ws.users.authenticate("nobody", PASSWORD)
    with pytest.raises(AuthenticationError) as wrong:
        ws.users.authenticate("ana", "wrong password!!")
    assert str(unknown.value) == str(wrong.value)


def test_unknown_users_still_pay_for_a_hash_check(ws: Workspace, monkeypatch) -> None:
    calls: list[str] = []
    original = ws.users._verify
    monkeypatch.setattr(ws.users, "_verify", lambda h, p: calls.append(h) or original(h, p))
    with pytest.raises(AuthenticationError):
        ws.users.authenticate("nobody", PASSWORD)
    assert len(calls) == 1 and calls[0].startswith("$argon2id$")


def test_unknown_user_costs_about_as_much_as_a_wrong_password(tmp_path: Path) -> None:
    """An unknown name does the same argon2 work as a wrong password (no timing oracle).

    Counted, not timed: each attempt runs exactly one argon2 verification of a hash made
    with the same cost parameters, whether or not the user exists.
    """
    hasher = PasswordHasher(time_cost=2, memory_cost=16384, parallelism=1)
    with Workspace.open(tmp_path / "t.sqlite", hasher=hasher,
                        lockout=LockoutPolicy(max_attempts=100)) as ws:
        ws.users.create_user("ana", PASSWORD, "analyst")
        calls: list[str] = []
        real_verify = ws.users._verify

        def counting_verify(stored: str, password: str) -> bool:
            calls.append(stored.split("$")[3])  # the cost parameters, e.g. m=16384,t=2,p=1
            return real_verify(stored, password)

        ws.users._verify = counting_verify  # type: ignore[method-assign]
        for name in ("nobody", "ana"):
            with pytest.raises(AuthenticationError):
                ws.users.authenticate(name, "wrong password!!")
    assert len(calls) == 2 and calls[0] == calls[1]


def test_five_failures_lock_for_fifteen_minutes(ws: Workspace, clock: FakeClock) -> None:
    for _ in range(4):
        with pytest.raises(AuthenticationError, match="wrong password"):
            ws.users.authenticate("ana", "not the password")
    assert ws.users.authenticate("ana", PASSWORD).username == "ana"  # resets the count
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            ws.users.authenticate("ana", "not the password")
    with pytest.raises(AuthenticationError, match="locked"):
        ws.users.authenticate("ana", PASSWORD)  # right password, still locked
    clock.advance(minutes=14, seconds=59)
    with pytest.raises(AuthenticationError, match="locked"):
        ws.users.authenticate("ana", PASSWORD)
    clock.advance(seconds=2)
    assert ws.users.authenticate("ana", PASSWORD).username == "ana"
    actions = ws.audit_log(role="analyst")["action"].tolist()
    assert actions.count("sign_in.failed") == 9
    assert actions.count("sign_in.locked") == 2


def test_an_analyst_reset_lifts_the_lockout(ws: Workspace) -> None:
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            ws.users.authenticate("ana", "not the password")
    ws.users.create_user("boss", PASSWORD, "analyst", by="ana")
    with pytest.raises(AccessDeniedError):
        ws.users.reset_password("ana", "a brand new passphrase", by="pat", by_role="partner")
    with pytest.raises(WorkspaceError, match="shorter"):
        ws.users.reset_password("ana", "short", by="boss", by_role="analyst")
    ws.users.reset_password("ana", "a brand new passphrase", by="boss", by_role="analyst")
    assert ws.users.authenticate("ana", "a brand new passphrase").username == "ana"
    with pytest.raises(AuthenticationError):
        ws.users.authenticate("ana", PASSWORD)  # the old one is gone
    with pytest.raises(WorkspaceError, match="no user"):
        ws.users.reset_password("zed", "a brand new passphrase", by="boss", by_role="analyst")


def test_lockout_policy_is_configurable(tmp_path: Path, clock: FakeClock) -> None:
    policy = LockoutPolicy(max_attempts=2, lockout=timedelta(minutes=1))
    with Workspace.open(tmp_path / "p.sqlite", clock=clock, hasher=FAST,
                        lockout=policy) as ws:
        ws.users.create_user("ana", PASSWORD, "analyst")
        for _ in range(2):
            with pytest.raises(AuthenticationError):
                ws.users.authenticate("ana", "nope nope nope")
        with pytest.raises(AuthenticationError, match="locked"):
            ws.users.authenticate("ana", PASSWORD)
        clock.advance(minutes=1, seconds=1)
        assert ws.users.authenticate("ana", PASSWORD).role == "analyst"


def test_create_user_collects_problems_and_checks_the_actor(ws: Workspace) -> None:
    with pytest.raises(WorkspaceError) as err:
        ws.users.create_user(" ", "short", "admin")
    assert {p.column for p in err.value.problems} == {"username", "role", "password"}
    with pytest.raises(WorkspaceError, match="already exists"):
        ws.users.create_user("ana", PASSWORD, "partner", by="ana")
    with pytest.raises(AccessDeniedError):
        ws.users.create_user("eve", PASSWORD, "analyst", by="pat", by_role="partner")


def test_rehash_on_sign_in_when_parameters_rise(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    with Workspace.open(path, hasher=FAST) as ws:
        ws.users.create_user("ana", PASSWORD, "analyst")
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    with Workspace.open(path, hasher=stronger) as ws:
        ws.users.authenticate("ana", PASSWORD)
        stored = ws._conn.execute("SELECT password_hash FROM users").fetchone()[0]
    assert "t=2" in stored and "m=2048" in stored


def _cli(args: list[str], monkeypatch: pytest.MonkeyPatch, *, stdin: str = "",
         password_env: str | None = None) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    if password_env is None:  # the new user's password; ana proves herself with $GEOSOC_PASSWORD
        monkeypatch.delenv("GEOSOC_NEW_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("GEOSOC_NEW_PASSWORD", password_env)
    return main(args)


def test_cli_reads_the_password_from_stdin_or_env_never_argv(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = str(tmp_path / "cli.sqlite")
    monkeypatch.setenv("GEOSOC_USER", "ana")
    assert _cli(["users", "add", "ana", "--role", "analyst", "--workspace", path],
                monkeypatch, password_env=PASSWORD) == 0
    assert _cli(["users", "add", "pat", "--role", "partner", "--workspace", path],
                monkeypatch, stdin=PASSWORD + "\n") == 0
    assert _cli(["users", "add", "max", "--role", "public", "--workspace", path],
                monkeypatch, password_env=PASSWORD + "2") == 0
    assert _cli(["users", "add", "nil", "--role", "public", "--workspace", path],
                monkeypatch) == 2
    assert "password is empty" in capsys.readouterr().err
    assert _cli(["users", "list", "--workspace", path, "--json"], monkeypatch) == 0
    listed = capsys.readouterr().out
    assert '"pat"' in listed and "argon2" not in listed
    with Workspace.open(path) as ws:
        assert ws.users.authenticate("pat", PASSWORD).role == "partner"
        assert ws.users.authenticate("max", PASSWORD + "2").role == "public"
    options = {a for action in build_parser("users")._subparsers._group_actions
               for a in action.choices["users"]._subparsers._group_actions[0]
               .choices["add"]._option_string_actions}
    assert not any("pass" in o for o in options)

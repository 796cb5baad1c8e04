"""Issue 27, points 3 and 4: the role matrix with credentials, through the real CLI.

Every command that reads a workspace is run (``geosoc.cli.main``, the function the
``geosoc`` script calls) as each role (analyst ``ana``, partner ``pat``, public ``pub``; there
is no coordinator role) and as an unregistered name (``zed``), with each credential: none, a
wrong password, the right password, a valid token from ``geosoc login`` and an expired
token. A cell succeeds only for a registered user with the right password or a valid token
whose role may run the command; every other cell exits with code 2, says why, writes
nothing, and is audited (a refused sign-in). Whatever a partner or public user receives
(stdout and every file written) is scanned for incident IDs and coordinates, 4P notes, OCG
references and a one-respondent free-text answer.

One limit is pinned as it is: a refused ``workspace restore`` to a new path is checked
against the archive's own users before anything is written, so there is no workspace to
record the refusal in (a restore over an existing workspace is checked, and a refusal
recorded, there first).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from team_workspace import PASSWORD, team_workspace

from geosoc.cli import main
from geosoc.disclosure.point_leaks import find_point_leaks
from geosoc.ingest import read_policeuk
from geosoc.synth import writer
from geosoc.synth.demo import DEFAULT_DEMO_DIR, ensure_demo
from geosoc.workspace import Workspace
from geosoc.workspace.dataset_store import store_dataset

ROOT = Path(__file__).resolve().parents[1]
USERS = {"ana": "analyst", "pat": "partner", "pub": "public", "zed": None}
CREDENTIALS = ("none", "wrong", "right", "token", "expired")
SITE = "Market Square (demo CHB site)"
NOTE = "fictional demo record"  # every demo activity's note
SECRET = "my neighbour at no 4 deals"  # a free-text answer of one respondent
ALL, ANALYSTS = ("analyst", "partner", "public"), ("analyst",)


@dataclass(frozen=True)
class Command:
    """One command of the matrix: its argv for a user, and who may run it."""

    name: str
    argv: Callable[[Path, Path, str], list[str]]  # (workspace, out folder, user) -> argv
    allowed: tuple[str, ...]
    needs_password: bool = False  # geosoc login takes a password, not a token


def _role(user: str) -> str:
    return USERS[user] or "public"


COMMANDS = [
    Command("profile", lambda w, o, u: ["profile", "--workspace", str(w), "--user", u,
                                        "--out", str(o / "profile"), "--format", "parquet",
                                        "--emerging", "none"], ALL),
    Command("export profile", lambda w, o, u: [
        "export", "profile", "--role", _role(u), "--workspace", str(w), "--user", u,
        "--purpose", "matrix", "--out", str(o / "profile.html")], ALL),
    Command("review", lambda w, o, u: [
        "review", "--workspace", str(w), "--site", SITE, "--as-of", "2024-02", "--role",
        _role(u), "--user", u, "--purpose", "matrix", "--out", str(o / "review.html")], ALL),
    Command("sites rank", lambda w, o, u: ["sites", "rank", "--workspace", str(w), "--user", u,
                                           "--min-incidents", "1", "--json"], ANALYSTS),
    Command("phases report", lambda w, o, u: [
        "phases", "report", "--workspace", str(w), "--site", SITE, "--user", u, "--out",
        str(o / "phases")], ANALYSTS),
    Command("users list", lambda w, o, u: ["users", "list", "--workspace", str(w), "--user", u,
                                           "--json"], ANALYSTS),
    Command("workspace backup", lambda w, o, u: [
        "workspace", "backup", "--workspace", str(w), "--user", u, "--out",
        str(o / "backup.zip")], ANALYSTS),
    Command("workspace restore", lambda w, o, u: [
        "workspace", "restore", str(w.with_name("archive.zip")), "--workspace",
        str(o / "restored.sqlite"), "--user", u], ANALYSTS),
    Command("datasets list", lambda w, o, u: ["datasets", "list", "--workspace", str(w),
                                              "--user", u, "--json"], ALL),
    Command("datasets register", lambda w, o, u: [
        "datasets", "register", "--workspace", str(w), "--user", u, "--csv",
        str(o / "register.csv"), "--purpose", "matrix"], ANALYSTS),
    Command("morile list", lambda w, o, u: ["morile", "list", "--workspace", str(w), "--site",
                                            SITE, "--user", u, "--json"], ALL),
    Command("perception compare", lambda w, o, u: [
        "perception", "compare", "--workspace", str(w), "--site", SITE, "--user", u,
        "W1 2023-11", "W2 2024-10", "--json"], ALL),
    Command("activities list", lambda w, o, u: ["activities", "list", "--workspace", str(w),
                                                "--site", SITE, "--user", u, "--json"], ALL),
    Command("activities export", lambda w, o, u: [
        "activities", "export", "--workspace", str(w), "--site", SITE, "--user", u, "--out",
        str(o / "activities.csv"), "--purpose", "matrix"], ALL),
    Command("audit list", lambda w, o, u: ["audit", "list", "--workspace", str(w), "--user", u,
                                           "--json"], ANALYSTS),
    Command("login", lambda w, o, u: ["login", "--workspace", str(w), "--user", u, "--print"],
            ALL, needs_password=True),
]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The team workspace (two police months, wards, the demo site) plus a public user, the
    demo's 4P log, MoRiLE series and perception waves (with one free-text answer), an
    archive of it, and a valid and an expired token per registered user."""
    demo = Path(ensure_demo(DEFAULT_DEMO_DIR))
    folder = tmp_path_factory.mktemp("auth")
    path = team_workspace(demo, folder / "ws.sqlite")
    ops = {k: pd.read_csv(demo / v) for k, v in writer.OPERATIONS_FILES.items()}
    ops["activities"] = ops["activities"][ops["activities"]["date"] < "2024-03"]
    waves = ops["perception"]
    waves = pd.concat([waves, waves.iloc[[0]].assign(response=SECRET, respondents=1)])
    with Workspace.open(path) as ws:
        ws.users.create_user("pub", PASSWORD, "public", by="ana")
        for month in sorted((demo / "police" / "2023-12").glob("*.csv")):  # a baseline
            store_dataset(ws, read_policeuk(month), name="police_2023-12", kind="incidents",
                          user="ana", role="analyst")
        ws.sites.set_phases(SITE, [("baseline", "2023-12", "2023-12"),
                                   ("clear", "2024-01", "2024-01"), ("hold", "2024-02", None)],
                            user="ana", role="analyst")
        ws.operations.import_activities(SITE, ops["activities"], user="ana", role="analyst",
                                        source="demo")
        ws.operations.import_morile(SITE, ops["morile"], user="ana", role="analyst",
                                    source="demo")
        ws.operations.import_waves(SITE, waves, user="ana", role="analyst", source="demo")
        incidents = pd.concat([pd.read_csv(p) for p in sorted(
            (demo / "police").glob("202[34]-*/*.csv"))])
        tokens = {u: ws.users.issue_token(u, PASSWORD, timedelta(hours=1))[0]
                  for u in ("ana", "pat", "pub")}
        refs = set(ws.operations.morile(SITE)["ocg_ref"]) - {""}
    past = pd.Timestamp.now(tz="UTC").to_pydatetime() - timedelta(hours=3)
    with Workspace.open(path, clock=lambda: past) as ws:
        expired = {u: ws.users.issue_token(u, PASSWORD, timedelta(hours=1))[0]
                   for u in ("ana", "pat", "pub")}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GEOSOC_PASSWORD", PASSWORD)
        assert main(["workspace", "backup", "--workspace", str(path), "--user", "ana",
                     "--out", str(folder / "archive.zip")]) == 0
    points = incidents.rename(columns={"Crime ID": "incident_id", "Longitude": "lon",
                                       "Latitude": "lat"}).dropna(subset=["lon"])
    points["incident_id"] = points["incident_id"].fillna("")
    return {"path": path, "tokens": tokens, "expired": expired, "points": points,
            "refs": refs}


def _use(credential: str, user: str, seeded: dict[str, object],
         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEOSOC_PASSWORD", raising=False)
    monkeypatch.delenv("GEOSOC_TOKEN", raising=False)
    monkeypatch.delenv("GEOSOC_USER", raising=False)
    holder = user if USERS[user] else "ana"  # a stranger presents ana's token
    if credential == "wrong":
        monkeypatch.setenv("GEOSOC_PASSWORD", "not the right passphrase")
    elif credential == "right":
        monkeypatch.setenv("GEOSOC_PASSWORD", PASSWORD)
    elif credential == "token":
        monkeypatch.setenv("GEOSOC_TOKEN", seeded["tokens"][holder])
    elif credential == "expired":
        monkeypatch.setenv("GEOSOC_TOKEN", seeded["expired"][holder])


def _received(out: Path, stdout: str) -> str:
    """Everything the user received as text: stdout and each file written (tables read)."""
    parts = [stdout]
    for file in sorted(p for p in out.rglob("*") if p.is_file()):
        if file.suffix == ".parquet":
            parts.append(pd.read_parquet(file).to_csv())
        elif file.suffix in (".csv", ".json", ".html", ".txt", ".md", ".geojson"):
            parts.append(file.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(parts)


def _refusals(path: Path) -> int:
    with Workspace.open(path, create=False) as ws:
        log = ws.audit_log(role="analyst")
    return int(log["action"].isin(["sign_in.refused", "sign_in.failed",
                                    "access.refused"]).sum())


CELLS = [(c, u, k) for c in COMMANDS for u in USERS for k in CREDENTIALS]


@pytest.mark.parametrize("command, user, credential", CELLS,
                         ids=[f"{c.name}-{u}-{k}" for c, u, k in CELLS])
def test_role_matrix_with_credentials(command: Command, user: str, credential: str,
                                      seeded: dict[str, object], tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    path, role = seeded["path"], USERS[user]
    proved = role is not None and (credential == "right" or (
        credential == "token" and not command.needs_password))
    expected = 0 if proved and role in command.allowed else 2
    _use(credential, user, seeded, monkeypatch)
    before = _refusals(path)
    out = tmp_path / "out"
    out.mkdir()
    capsys.readouterr()
    code = main(command.argv(path, out, user))
    stdout, stderr = capsys.readouterr()
    assert code == expected, stdout + stderr
    stderr += stdout  # with --json an error is printed as JSON on stdout
    if expected == 2:
        assert not [p for p in out.rglob("*") if p.is_file()], "a refused command wrote files"
        if command.needs_password and credential in ("none", "token", "expired"):
            assert "needs your password" in stderr
        elif command.needs_password and role is None:  # login does not say which names exist
            assert "unknown user name or wrong password" in stderr
        elif role is None:
            assert "not registered" in stderr
        elif credential == "none":
            assert "must prove who they are" in stderr
        elif credential == "wrong":
            assert "wrong password" in stderr and ("Fix:" in stderr or '"fix"' in stderr)
        elif credential == "expired":
            assert "expired" in stderr and "geosoc login" in stderr
        else:
            assert "may not" in stderr
        if command.name != "workspace restore":  # (see the module notes)
            assert _refusals(path) > before, "a refusal was not audited"
    if code == 0 and role != "analyst":
        received = _received(out, stdout)
        assert not find_point_leaks(received, seeded["points"])
        assert NOTE not in received and SECRET not in received
        assert not any(ref in received for ref in seeded["refs"])


def test_the_matrix_covers_every_command_role_and_credential() -> None:
    assert len(CELLS) == len(COMMANDS) * len(USERS) * len(CREDENTIALS) == 320
    allowed = [c for c, u, k in CELLS if USERS[u] in c.allowed and k in ("right", "token")
               and not (c.needs_password and k == "token")]
    assert len(allowed) == 65  # 8 x 3 x 2 + 7 analyst-only x 2 + 3 logins; the rest refused


def test_the_analyst_copy_still_holds_what_others_may_not(seeded, tmp_path, monkeypatch,
                                                          capsys) -> None:
    """The scans above can fail: the same commands as the analyst do carry those strings."""
    _use("right", "ana", seeded, monkeypatch)
    path = seeded["path"]
    assert main(["activities", "list", "--workspace", str(path), "--site", SITE, "--user",
                 "ana", "--json"]) == 0
    assert NOTE in capsys.readouterr().out
    assert main(["morile", "list", "--workspace", str(path), "--site", SITE, "--user", "ana",
                 "--json"]) == 0
    listed = capsys.readouterr().out
    assert all(ref in listed for ref in seeded["refs"])
    assert main(["perception", "compare", "--workspace", str(path), "--site", SITE, "--user",
                 "ana", "W1 2023-11", "W2 2024-10", "--json"]) == 0
    assert SECRET in capsys.readouterr().out


# --- the credential sources, through a real process ----------------------------------------

def _geosoc(args: list[str], *, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items()
            if k not in ("GEOSOC_PASSWORD", "GEOSOC_TOKEN", "GEOSOC_USER")}
    return subprocess.run([sys.executable, "-m", "geosoc", *args], input=stdin,
                          env={**base, **env}, cwd=ROOT, capture_output=True, text=True,
                          check=False)


def test_password_stdin_a_saved_token_and_a_name_alone(seeded, tmp_path) -> None:
    path = tmp_path / "ws.sqlite"
    shutil.copy(seeded["path"], path)
    shutil.copytree(seeded["path"].with_name("ws.datasets"), tmp_path / "ws.datasets")
    home = str(tmp_path / "home")
    listing = ["users", "list", "--workspace", str(path), "--user", "ana"]
    alone = _geosoc(listing, XDG_CONFIG_HOME=home)
    assert alone.returncode == 2 and "must prove who they are" in alone.stderr
    assert "--password-stdin" in alone.stderr and "geosoc login" in alone.stderr
    piped = _geosoc([*listing, "--password-stdin"], stdin=PASSWORD + "\n", XDG_CONFIG_HOME=home)
    assert piped.returncode == 0, piped.stderr
    assert all(name in piped.stdout for name in ("ana", "pat", "pub"))
    wrong = _geosoc([*listing, "--password-stdin"], stdin="nope nope nope\n",
                    XDG_CONFIG_HOME=home)
    assert wrong.returncode == 2 and "wrong password" in wrong.stderr
    login = _geosoc(["login", "--workspace", str(path), "--user", "ana", "--password-stdin"],
                    stdin=PASSWORD + "\n", XDG_CONFIG_HOME=home)
    assert login.returncode == 0 and "readable by you only" in login.stdout
    saved = _geosoc(listing, XDG_CONFIG_HOME=home)  # no password: the saved token
    assert saved.returncode == 0, saved.stderr
    other = _geosoc([*listing[:-2], "--user", "pat"], XDG_CONFIG_HOME=home)
    assert other.returncode == 2  # ana's token is not pat's
    out = _geosoc(["login", "--workspace", str(path), "--user", "ana", "--logout"],
                  XDG_CONFIG_HOME=home)
    assert out.returncode == 0
    assert _geosoc(listing, XDG_CONFIG_HOME=home).returncode == 2


def test_a_token_ends_with_a_password_reset_and_is_bound_to_its_workspace(seeded,
                                                                         tmp_path) -> None:
    from geosoc.errors import AuthenticationError

    path = tmp_path / "ws.sqlite"
    shutil.copy(seeded["path"], path)
    with Workspace.open(path) as ws:
        token = seeded["tokens"]["pat"]
        ws.users.check_token(token, "pat")
        with pytest.raises(AuthenticationError, match="issued to 'pat'"):
            ws.users.check_token(token, "ana")
        forged = token[:-4] + ("0000" if not token.endswith("0000") else "1111")
        with pytest.raises(AuthenticationError, match="signature"):
            ws.users.check_token(forged, "pat")
        ws.reanchor(who="ana", role="analyst", purpose="a copy", new_identity=True)
        with pytest.raises(AuthenticationError, match="another workspace"):
            ws.users.check_token(token, "pat")
    with Workspace.open(seeded["path"]) as ws:
        fresh, _ = ws.users.issue_token("pub", PASSWORD)
        ws.users.check_token(fresh, "pub")
        ws.users.reset_password("pub", "a completely new passphrase", by="ana",
                                by_role="analyst")
        with pytest.raises(AuthenticationError, match="password or role changed"):
            ws.users.check_token(fresh, "pub")
        ws.users.reset_password("pub", PASSWORD, by="ana", by_role="analyst")
        with pytest.raises(AuthenticationError, match="may last from 1 minute"):
            ws.users.issue_token("pub", PASSWORD, timedelta(days=2))


def test_the_library_refuses_raw_data_to_partners_whatever_calls_it(seeded,
                                                                    tmp_path) -> None:
    from geosoc.errors import AccessDeniedError
    from geosoc.workspace.acting import Credential
    from geosoc.workspace.backup import backup_workspace, restore_workspace

    path = seeded["path"]
    for user, role in (("pat", "partner"), ("pub", "public")):
        with pytest.raises(AccessDeniedError, match="may not back up"):
            backup_workspace(path, tmp_path / f"{user}.zip", user=user, role=role)
        assert not (tmp_path / f"{user}.zip").exists()
        with pytest.raises(AccessDeniedError, match="may not restore"):
            restore_workspace(path.with_name("archive.zip"), tmp_path / f"{user}.sqlite",
                              user=user, credential=Credential(password=PASSWORD))
        assert not (tmp_path / f"{user}.sqlite").exists()
    with pytest.raises(AccessDeniedError):  # a partner claiming to be an analyst
        backup_workspace(path, tmp_path / "x.zip", user="pat", role="analyst")
    with Workspace.open(path) as ws:
        log = ws.audit_log(role="analyst")
    refused = log[log["action"] == "access.refused"]
    assert {"pat", "pub"} <= set(refused["who"])


def test_the_demo_needs_no_credentials(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("GEOSOC_PASSWORD", raising=False)
    assert main(["export", "profile", "--role", "partner", "--demo", "--out",
                 str(tmp_path / "demo.html")]) == 0


def test_a_restore_over_a_workspace_needs_an_analyst_of_it(seeded, tmp_path, monkeypatch,
                                                           capsys) -> None:
    target = tmp_path / "ws.sqlite"
    shutil.copy(seeded["path"], target)
    shutil.copytree(seeded["path"].with_name("ws.datasets"), tmp_path / "ws.datasets")
    archive = str(seeded["path"].with_name("archive.zip"))
    _use("right", "pat", seeded, monkeypatch)
    assert main(["workspace", "restore", archive, "--workspace", str(target), "--user", "pat",
                 "--replace"]) == 2
    assert "may not restore over this workspace" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.before-restore-*"))  # nothing was set aside
    with Workspace.open(target) as ws:
        log = ws.audit_log(role="analyst")
    assert "pat" in set(log.loc[log["action"] == "access.refused", "who"])
    _use("right", "ana", seeded, monkeypatch)
    assert main(["workspace", "restore", archive, "--workspace", str(target), "--user", "ana",
                 "--replace"]) == 0
    assert list(tmp_path.glob("ws.sqlite.before-restore-*"))


def test_on_a_terminal_the_password_is_asked_for_once(seeded, tmp_path) -> None:
    from geosoc.errors import AuthenticationError
    from geosoc.workspace.acting import Credential

    asked: list[str] = []

    def prompt(text: str) -> str:
        asked.append(text)
        return PASSWORD

    credential = Credential(prompt=prompt, saved_tokens=False)
    with Workspace.open(seeded["path"]) as ws:
        assert ws.acting("pat", credential).role == "partner"
        assert ws.acting("pat", credential).role == "partner"  # proved once per command
        assert asked == ["geosoc password for pat: "]
        with pytest.raises(AuthenticationError, match="wrong password"):
            ws.acting("pub", Credential(prompt=lambda _: "not it at all", saved_tokens=False))

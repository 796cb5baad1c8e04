"""Back up and restore a whole workspace as one verified archive.

A workspace is **two things side by side**: the SQLite file (``NAME.sqlite``: users, audit
log, sites, asset register, dataset records) and the folder ``NAME.datasets/`` holding the
stored datasets as Parquet files. Copying the ``.sqlite`` file alone breaks it.
:func:`backup_workspace` writes both into one zip archive:

- ``workspace.sqlite``: a consistent copy taken with SQLite's online backup API (others may
  keep working while it runs);
- ``datasets/<file>``: every file of the dataset folder;
- ``manifest.json``: format, source name, time, schema version and the SHA-256 and size of
  every member.

:func:`restore_workspace` checks the archive first (every member listed, nothing extra,
every hash matching, no unsafe member names, SQLite integrity ``ok``) and refuses a corrupted
one; it never overwrites an existing workspace or dataset folder unless ``replace=True``, and
then keeps the old files beside it (``*.before-restore-<time>``). Both steps are written to
the audit log (the backup in the source workspace, before the copy, so the archive holds its
own record; the restore in the restored workspace).

An archive holds every point, every agency's 4P notes, the users and the audit log, so both
steps are **analysts' only**, in the library: a partner, public or unregistered user is
refused (the refusal audited) whatever shell calls it. Archives are written readable by
their owner only (0600).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from geosoc.errors import AccessDeniedError, Problem, WorkspaceError
from geosoc.workspace import Workspace
from geosoc.workspace.acting import Credential, acting_user
from geosoc.workspace.dataset_store import datasets_dir
from geosoc.workspace.roles import ANALYSTS
from geosoc.workspace.users import UserStore

#: Format tag written into (and required from) every manifest.
ARCHIVE_FORMAT = "geosoc-workspace-backup/1"
DATABASE_MEMBER = "workspace.sqlite"
DATASETS_PREFIX = "datasets/"
MANIFEST_MEMBER = "manifest.json"
_CHUNK = 1 << 20


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _refuse(summary: str, message: str, file: Path | str, fix: str,
            column: str | None = None) -> WorkspaceError:
    return WorkspaceError(summary, [Problem(message, file=str(file), column=column, fix=fix)])


def refuse_raw_data(ws: Workspace, *, user: str, role: str, action: str) -> None:
    """Refuse anyone but an analyst an output that holds raw data; audit the refusal.

    For outputs holding points, 4P notes, users or the audit log (a backup, a restore, a
    dataset file): partner and public users are refused (``access.refused`` in the audit
    log, then :class:`~geosoc.errors.AccessDeniedError`).
    """
    if role in ANALYSTS:
        return
    ws.record(who=user, role=role, action="access.refused", target=f"workspace:{ws.path.name}",
              details={"refused": action, "reason": "raw data is for analysts only"})
    raise AccessDeniedError(f"role '{role}' may not {action}", [Problem(
        f"'{user}' is {role}; to {action} hands out every point, 4P note, user and the "
        "audit log, which only analysts may hold", column="--user",
        fix="ask an analyst; partners and the public get the disclosed outputs "
            "(geosoc profile --workspace W --user NAME, geosoc export profile)")])


def backup_workspace(workspace: str | Path, archive: str | Path, *, user: str, role: str,
                     overwrite: bool = False) -> dict[str, object]:
    """Write ``workspace`` (database and dataset folder) into one zip ``archive``.

    Parameters
    ----------
    workspace : str or Path
        The ``.sqlite`` file of an existing workspace.
    archive : str or Path
        The ``.zip`` to write.
    user, role : str
        Who takes the backup (audited in the workspace before the copy); analysts only.
    overwrite : bool
        Replace an existing archive (otherwise an existing file is an error).

    Returns
    -------
    dict
        The manifest written (``files``: member -> ``{"sha256", "bytes"}``), plus
        ``archive`` and ``archive_sha256``.

    Raises
    ------
    AccessDeniedError
        ``role`` is not analyst (audited), or ``user`` is not registered with ``role``.
    """
    workspace, archive = Path(workspace), Path(archive)
    if archive.exists() and not overwrite:
        raise _refuse("backup not written", "the archive already exists", archive,
                      "choose a new file name, or pass --overwrite", "--out")
    if not workspace.is_file():
        raise _refuse("no workspace to back up", "no such workspace file", workspace,
                      "check the --workspace path")
    with Workspace.open(workspace, create=False) as ws:
        refuse_raw_data(ws, user=user, role=role, action="back up the workspace")
        folder = datasets_dir(ws)
        files = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
        ws.record(who=user, role=role, action="workspace.backup",
                  target=f"workspace:{workspace.name}",
                  details={"archive": archive.name, "dataset_files": len(files)})
        version = ws.schema_version()
        with tempfile.TemporaryDirectory(dir=archive.parent if archive.parent.exists()
                                         else None) as tmp:
            copy = ws.backup(Path(tmp) / DATABASE_MEMBER)
            members = {DATABASE_MEMBER: copy}
            members |= {DATASETS_PREFIX + p.relative_to(folder).as_posix(): p for p in files}
            manifest = {
                "format": ARCHIVE_FORMAT, "workspace": workspace.name,
                "created_at": ws.now().isoformat(), "schema_version": version,
                "created_by": user,
                "files": {name: {"sha256": _sha256(p), "bytes": p.stat().st_size}
                          for name, p in members.items()},
            }
            partial = archive.with_name(archive.name + ".partial")
            partial.unlink(missing_ok=True)
            os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                for name, p in members.items():
                    zf.write(p, name)
                zf.writestr(MANIFEST_MEMBER, json.dumps(manifest, indent=2))
            partial.replace(archive)
    return {**manifest, "archive": str(archive), "archive_sha256": _sha256(archive)}


def verify_archive(archive: str | Path) -> dict[str, object]:
    """Check a backup archive without extracting it; return its manifest.

    Raises
    ------
    WorkspaceError
        Not a zip, no or unreadable manifest, wrong format, unsafe member names, members
        missing from or not listed in the manifest, or a SHA-256 or size mismatch (each
        problem listed).
    """
    archive = Path(archive)
    fix = "use another backup; this archive is damaged or was changed after it was written"
    try:
        zf = zipfile.ZipFile(archive)
    except (OSError, zipfile.BadZipFile) as err:
        raise _refuse("not a workspace backup", f"cannot open it as a zip archive ({err})",
                      archive, fix) from err
    with zf:
        names = [i.filename for i in zf.infolist() if not i.is_dir()]
        try:
            manifest = json.loads(zf.read(MANIFEST_MEMBER))
        except (KeyError, ValueError) as err:
            raise _refuse("not a workspace backup", "no readable manifest.json", archive,
                          fix) from err
        if not isinstance(manifest, dict) or manifest.get("format") != ARCHIVE_FORMAT:
            raise _refuse("not a workspace backup", f"manifest format is not {ARCHIVE_FORMAT}",
                          archive, fix)
        listed = dict(manifest.get("files") or {})
        problems = []
        for name in names:
            pure = PurePosixPath(name)
            if pure.is_absolute() or ".." in pure.parts:
                problems.append(Problem(f"unsafe member name {name!r}", file=str(archive),
                                        fix=fix))
        if DATABASE_MEMBER not in listed:
            problems.append(Problem("the manifest lists no workspace.sqlite", file=str(archive),
                                    fix=fix))
        stored = set(names) - {MANIFEST_MEMBER}
        problems += [Problem(f"{n} is listed in the manifest but missing", file=str(archive),
                             fix=fix) for n in sorted(set(listed) - stored)]
        problems += [Problem(f"{n} is in the archive but not in the manifest",
                             file=str(archive), fix=fix) for n in sorted(stored - set(listed))]
        for name in sorted(stored & set(listed)):
            digest, size = hashlib.sha256(), 0
            try:
                with zf.open(name) as handle:
                    while chunk := handle.read(_CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
            except (zipfile.BadZipFile, OSError, zlib.error) as err:
                problems.append(Problem(f"{name} cannot be read ({err})", file=str(archive),
                                        fix=fix))
                continue
            if digest.hexdigest() != listed[name].get("sha256") or size != listed[name].get(
                    "bytes"):
                problems.append(Problem(f"{name} does not match its SHA-256 in the manifest",
                                        file=str(archive), fix=fix))
    if problems:
        raise WorkspaceError(f"{archive.name}: the backup failed verification", problems)
    return manifest


def _require_restoring_analyst(database: Path, user: str,
                               credential: Credential | None) -> None:
    """Refuse a restore unless ``user`` proves they are an analyst of the archived workspace."""
    from geosoc.workspace import db

    conn = db.connect(database, create=False)
    try:
        actor = acting_user(UserStore(conn, db.utc_now), user, credential)
    finally:
        conn.close()
    if actor.role not in ANALYSTS:
        raise AccessDeniedError(f"role '{actor.role}' may not restore a workspace", [Problem(
            f"'{actor.username}' is {actor.role} in the archived workspace; a restore writes "
            "every point, note, user and the audit log", column="--user",
            fix="ask an analyst of that workspace to restore it")])


def _set_aside(path: Path, stamp: str) -> Path | None:
    """Rename ``path`` to ``<path>.before-restore-<stamp>`` if it exists; return the new name."""
    if not path.exists():
        return None
    aside = path.with_name(f"{path.name}.before-restore-{stamp}")
    path.replace(aside)
    return aside


def restore_workspace(archive: str | Path, target: str | Path, *, user: str,
                      role: str | None = None, replace: bool = False,
                      credential: Credential | None = None) -> dict[str, object]:
    """Restore a verified backup to ``target`` (``NAME.sqlite`` and ``NAME.datasets/``).

    Parameters
    ----------
    archive : str or Path
        A zip written by :func:`backup_workspace`.
    target : str or Path
        The workspace file to create.
    user : str
        Who restores it (audited in the restored workspace). When the archive's workspace
        has users, ``user`` must be one of its analysts and prove it (``credential``, as
        :func:`geosoc.workspace.acting.acting_user`); so must they in the workspace
        replaced. Anyone else is refused before anything is written.
    role : str, optional
        Their role; default: their role registered in the restored workspace, else analyst.
        Only ``analyst`` may restore.
    replace : bool
        Restore over an existing workspace; its database and dataset folder are kept beside
        it as ``*.before-restore-<time>``. Without it an existing target is an error.
    credential : Credential, optional
        The user's password or token (default: the command's, else the environment).

    Returns
    -------
    dict
        ``workspace``, ``datasets`` (folder), ``files`` restored, the manifest's
        ``created_at`` and any ``set_aside`` paths.
    """
    archive, target = Path(archive), Path(target)
    manifest = verify_archive(archive)
    folder = target.parent / f"{target.stem}.datasets"
    existing = [p for p in (target, folder) if p.exists()]
    if existing and not replace:
        raise WorkspaceError("restore refused: it would overwrite a workspace", [Problem(
            f"{p} already exists", file=str(p), column="--workspace",
            fix="restore to a new --workspace path, or pass --replace (the old files are "
                "kept beside it as *.before-restore-<time>)") for p in existing])
    if role is not None and role not in ANALYSTS:
        raise AccessDeniedError(f"role '{role}' may not restore a workspace", [Problem(
            "a restore writes every point, note, user and the audit log", column="--user",
            fix="ask an analyst to restore it")])
    if target.exists():  # replacing: an analyst of the workspace replaced
        with Workspace.open(target, create=False) as old:
            actor = old.acting(user, credential)
            refuse_raw_data(old, user=actor.username, role=actor.role,
                            action="restore over this workspace")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        staging = Path(tmp)
        with zipfile.ZipFile(archive) as zf:
            for name in manifest["files"]:  # readable by their owner only, as written
                dest = staging / name
                dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with zf.open(name) as src, os.fdopen(fd, "wb") as out:
                    shutil.copyfileobj(src, out)
        check = sqlite3.connect(staging / DATABASE_MEMBER)
        try:
            verdict = "; ".join(str(r[0]) for r in check.execute("PRAGMA integrity_check"))
        finally:
            check.close()
        if verdict != "ok":
            raise _refuse("restore refused", f"the database fails SQLite's integrity check "
                          f"({verdict})", archive, "use another backup")
        _require_restoring_analyst(staging / DATABASE_MEMBER, user, credential)
        from datetime import UTC, datetime

        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        aside = [str(p) for p in (_set_aside(target, stamp), _set_aside(folder, stamp)) if p]
        for suffix in ("-wal", "-shm"):  # stale journal files of a replaced workspace
            _set_aside(target.with_name(target.name + suffix), stamp)
        (staging / DATABASE_MEMBER).replace(target)
        if (staging / "datasets").is_dir():
            (staging / "datasets").replace(folder)
    with Workspace.open(target, create=False) as ws:
        if role is None:
            registered = ws.users.get(user)
            role = registered.role if registered else "analyst"
        ws.record(who=user, role=role, action="workspace.restore",
                  target=f"workspace:{target.name}",
                  details={"archive": archive.name, "archive_sha256": _sha256(archive),
                           "backup_created_at": manifest.get("created_at"),
                           "from_workspace": manifest.get("workspace")})
    return {"workspace": str(target), "datasets": str(folder),
            "files": len(manifest["files"]), "created_at": manifest.get("created_at"),
            "set_aside": aside}

"""The workspace: one SQLite file holding datasets, assets, sites, analyses, users and audit.

>>> with Workspace.open("chb.sqlite") as ws:          # doctest: +SKIP
...     user = ws.users.authenticate("ana", password)
...     ws.assets.add({...}, user=user.username, role=user.role)
...     ws.verify_audit_chain().ok

Each user action is one transaction and writes its own audit entry. Open one handle per
thread (SQLite connections are not shared across threads); several handles, or processes,
may use the same file at once (WAL mode, writers queue on ``busy_timeout``).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import TracebackType

import pandas as pd
from argon2 import PasswordHasher

from geosoc.errors import Problem, WorkspaceError
from geosoc.workspace import anchor as _anchor
from geosoc.workspace import audit as _audit
from geosoc.workspace import db
from geosoc.workspace.acting import Actor, Credential, acting_user
from geosoc.workspace.analyses import AnalysisStore
from geosoc.workspace.asset_register import AssetRegister
from geosoc.workspace.audit import ChainVerification
from geosoc.workspace.datasets import DatasetStore
from geosoc.workspace.operations_store import OperationsStore
from geosoc.workspace.releases import ReleaseStore
from geosoc.workspace.roles import ANALYSTS, require_role
from geosoc.workspace.sharing import SharingRegister
from geosoc.workspace.sites import SiteStore
from geosoc.workspace.users import LockoutPolicy, User, UserStore

__all__ = ["Actor", "ChainVerification", "LockoutPolicy", "User", "Workspace"]


def _private_file_and_key(path: Path, create: bool) -> None:
    """Check the server key before opening ``path``; create a new workspace file as 0600.

    An existing workspace needs the key it was signed with: a missing key file is an error
    (:func:`geosoc.config.server_key` with ``create=False``), never silently replaced. A new
    workspace may create the key, and its file is created readable by its owner only (SQLite
    gives the ``-wal`` and ``-shm`` files the same mode).
    """
    from geosoc.config import server_key

    if path.exists():
        server_key(create=False)
        return
    server_key(create=create)
    if create and path.parent.is_dir():
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


class Workspace:
    """An open workspace database; create with :meth:`open`.

    Attributes
    ----------
    path : Path
        The database file.
    assets : AssetRegister
        Versioned community asset register.
    sites : SiteStore
        CHB sites and phases.
    analyses : AnalysisStore
        Saved analyses.
    datasets : DatasetStore
        Loaded datasets.
    sharing : SharingRegister
        Data-sharing records per dataset (owner, ISA, legal basis, widest role, delete-by).
    users : UserStore
        Users, sign-in and lockout.
    releases : ReleaseStore
        Disclosure releases, one per version of the data (:mod:`geosoc.workspace.releases`).
    """

    def __init__(self, path: Path, *, clock: db.Clock, hasher: PasswordHasher | None,
                 lockout: LockoutPolicy | None, create: bool) -> None:
        self.path = path
        self._clock = clock
        _private_file_and_key(path, create)
        self._conn = db.connect(path, create=create)
        self.assets = AssetRegister(self._conn, clock)
        self.sites = SiteStore(self._conn, clock)
        self.analyses = AnalysisStore(self._conn, clock)
        self.datasets = DatasetStore(self._conn, clock)
        self.sharing = SharingRegister(self._conn, clock)
        self.users = UserStore(self._conn, clock, hasher, lockout)
        self.operations = OperationsStore(self._conn, clock, self.sites)
        self.releases = ReleaseStore(self._conn, clock,
                                     path.parent / f"{path.stem}.releases")
        try:
            self._id = _anchor.ensure_identity(self._conn)
        except BaseException:
            self._conn.close()
            raise

    @classmethod
    def open(cls, path: str | Path, *, create: bool = True, clock: db.Clock | None = None,
             hasher: PasswordHasher | None = None,
             lockout: LockoutPolicy | None = None) -> Workspace:
        """Open (creating and migrating if needed) the workspace at ``path``.

        Parameters
        ----------
        path : str or Path
            The ``.sqlite`` file.
        create : bool
            Create the file when missing (else raise :class:`~geosoc.errors.WorkspaceError`).
        clock : callable, optional
            Returns the current aware UTC datetime; inject a fake one in tests.
        hasher : argon2.PasswordHasher, optional
            argon2id cost parameters (library defaults otherwise).
        lockout : LockoutPolicy, optional
            Sign-in failures before lockout and its length (5, 15 minutes by default).
        """
        return cls(Path(path), clock=clock or db.utc_now, hasher=hasher, lockout=lockout,
                   create=create)

    def close(self) -> None:
        """Advance the audit checkpoint (outside the workspace) and close the connection."""
        # A damaged log is reported by verify, never by closing.
        with contextlib.suppress(sqlite3.Error, WorkspaceError):
            _anchor.write_checkpoint(self._conn, self._id)
        self._conn.close()

    def reanchor(self, *, who: str, role: str, purpose: str, new_identity: bool = False
                 ) -> None:
        """Accept the log as it is now as the new anchor (after restoring a backup); analysts.

        The previous checkpoint is kept in the audit entry, so the decision is itself on
        record. Use it only when the difference is explained (a restored backup; with
        ``new_identity`` a copy that lives on separately gets its own checkpoint).
        """
        require_role(role, ANALYSTS, "re-anchor the audit log")
        previous = _anchor.read_checkpoint(self._id)
        if new_identity:
            self._id = _anchor.new_identity(self._conn)
        self.record(who=who, role=role, action="audit.reanchor", target="workspace:audit",
                    purpose=purpose, details={"previous_checkpoint": previous,
                                              "workspace_id": self._id})
        _anchor.write_checkpoint(self._conn, self._id, force=True)

    def acting(self, name: str | None, credential: Credential | None = None) -> Actor:
        """Return the acting user, once proved (see :func:`geosoc.workspace.acting.acting_user`)."""
        return acting_user(self.users, name, credential)

    def audit_anchor(self) -> str:
        """Return the chain head text an export carries (``geosoc-audit-anchor: ...``)."""
        return _anchor.export_anchor(self._conn)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def record(self, *, who: str, role: str, action: str, target: str,
               purpose: str | None = None, details: dict[str, object] | None = None) -> str:
        """Append an audit entry for an action done outside the workspace stores.

        Use it for page views and exports; ``purpose`` is required when ``target`` starts
        with ``export:``. Returns the entry's hash.
        """
        with db.transaction(self._conn):
            digest = _audit.record(self._conn, who=who, role=role, at=self._clock(),
                                   action=action, target=target, purpose=purpose,
                                   details=details)
        _anchor.write_checkpoint(self._conn, self._id)
        return digest

    def export(self, out: str | Path, write: Callable[[Path, str], object], *, who: str,
               role: str, action: str, purpose: str,
               details: dict[str, object] | None = None) -> Path:
        """Write an export so that its audit entry exists before the file does.

        ``write(temp_path, anchor)`` writes the file to a temporary name beside ``out``
        (``anchor`` is the chain head text to embed, see :func:`anchor.export_anchor`); the
        audit entry (with the file's size and SHA-256) is committed; only then is the file
        renamed into place. A failed write or audit leaves no file.

        Raises
        ------
        WorkspaceError
            The file could not be written (disk full, no permission), with the reason.
        """
        out = Path(out)
        temp = out.with_name(f".{out.name}.{os.getpid()}.partial")
        try:
            write(temp, self.audit_anchor())
            data = temp.read_bytes()
            self.record(who=who, role=role, action=action, target=f"export:{out.name}",
                        purpose=purpose,
                        details={**(details or {}), "bytes": len(data),
                                 "sha256": hashlib.sha256(data).hexdigest()})
            os.replace(temp, out)
        except OSError as err:
            temp.unlink(missing_ok=True)
            raise WorkspaceError("export not written", [Problem(
                f"{err.strerror or err}", file=str(out),
                fix="free disk space (or choose another folder) and export again"
                if err.errno == errno.ENOSPC else "check the folder exists and is writable")]
            ) from err
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return out

    def export_folder(self, out: str | Path, write: Callable[[Path, str], list[Path]], *,
                      who: str, role: str, action: str, purpose: str,
                      details: dict[str, object] | None = None) -> list[Path]:
        """Write a folder of outputs so that its audit entry exists before the files do.

        Like :meth:`export`: ``write(temp_folder, anchor)`` writes every file into a
        temporary folder beside ``out`` and returns them; the audit entry (file names,
        sizes) is committed; then each file is moved into ``out``.
        """
        out = Path(out)
        temp = out.with_name(f".{out.name}.{os.getpid()}.partial")
        try:
            temp.mkdir(parents=True, exist_ok=True)
            files = write(temp, self.audit_anchor())
            sizes = {f.name: f.stat().st_size for f in files}
            self.record(who=who, role=role, action=action, target=f"export:{out.name}",
                        purpose=purpose, details={**(details or {}), "files": sizes})
            out.mkdir(parents=True, exist_ok=True)
            moved = []
            for f in files:
                os.replace(f, out / f.name)
                moved.append(out / f.name)
        except OSError as err:
            raise WorkspaceError("outputs not written", [Problem(
                f"{err.strerror or err}", file=str(out),
                fix="free disk space (or choose another folder) and run again"
                if err.errno == errno.ENOSPC else "check the folder is writable")]) from err
        finally:
            shutil.rmtree(temp, ignore_errors=True)
        return moved

    def audit_log(self, *, role: str) -> pd.DataFrame:
        """Return the audit log, oldest first; only analysts may review it.

        Parameters
        ----------
        role : str
            The reader's role; anything but ``"analyst"`` raises
            :class:`~geosoc.errors.AccessDeniedError`.
        """
        require_role(role, ANALYSTS, "review the audit log")
        return _audit.audit_entries(self._conn)

    def verify_audit_chain(self, exports: list[str | Path] = ()) -> _anchor.Verdict:
        """Check the keyed chain, its anchors and signed roles (:func:`anchor.verify_workspace`)."""
        return _anchor.verify_workspace(self._conn, list(exports))

    def integrity_check(self) -> str:
        """Return SQLite's integrity check verdict (``"ok"`` when healthy)."""
        return db.integrity_check(self._conn)

    def schema_version(self) -> int:
        """Return the schema version of the open database."""
        return db.schema_version(self._conn)

    def backup(self, destination: str | Path) -> Path:
        """Copy the live workspace to ``destination`` (SQLite online backup)."""
        return db.backup(self._conn, destination)

    def now(self) -> datetime:
        """Return the workspace clock's current time (aware UTC)."""
        return self._clock()

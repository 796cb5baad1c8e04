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

from datetime import datetime
from pathlib import Path
from types import TracebackType

import pandas as pd
from argon2 import PasswordHasher

from geosoc.workspace import audit as _audit
from geosoc.workspace import db
from geosoc.workspace.analyses import AnalysisStore
from geosoc.workspace.asset_register import AssetRegister
from geosoc.workspace.audit import ChainVerification
from geosoc.workspace.datasets import DatasetStore
from geosoc.workspace.operations_store import OperationsStore
from geosoc.workspace.roles import ANALYSTS, require_role
from geosoc.workspace.sites import SiteStore
from geosoc.workspace.users import LockoutPolicy, User, UserStore

__all__ = ["ChainVerification", "LockoutPolicy", "User", "Workspace"]


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
    users : UserStore
        Users, sign-in and lockout.
    """

    def __init__(self, path: Path, *, clock: db.Clock, hasher: PasswordHasher | None,
                 lockout: LockoutPolicy | None, create: bool) -> None:
        self.path = path
        self._clock = clock
        self._conn = db.connect(path, create=create)
        self.assets = AssetRegister(self._conn, clock)
        self.sites = SiteStore(self._conn, clock)
        self.analyses = AnalysisStore(self._conn, clock)
        self.datasets = DatasetStore(self._conn, clock)
        self.users = UserStore(self._conn, clock, hasher, lockout)
        self.operations = OperationsStore(self._conn, clock, self.sites)

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
        """Close the database connection."""
        self._conn.close()

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
            return _audit.record(self._conn, who=who, role=role, at=self._clock(),
                                 action=action, target=target, purpose=purpose,
                                 details=details)

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

    def verify_audit_chain(self) -> ChainVerification:
        """Recompute the audit hash chain; see :func:`geosoc.workspace.audit.verify_audit_chain`."""
        return _audit.verify_audit_chain(self._conn)

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

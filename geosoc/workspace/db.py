"""The workspace database connection: SQLite in WAL mode, migrations, transactions, backup.

One user action is one transaction (:func:`transaction`, ``BEGIN IMMEDIATE`` so the write
lock is taken up front and two writers queue on ``busy_timeout`` instead of failing late).
The schema is built by ordered migrations recorded in ``schema_version``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from geosoc.errors import Problem, WorkspaceError
from geosoc.workspace.migrations import MIGRATIONS, REQUIRED_TABLES

#: How long a writer waits for another writer's lock before giving up, milliseconds.
BUSY_TIMEOUT_MS = 10_000

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Return the current time as an aware UTC datetime (the default clock)."""
    return datetime.now(UTC)


def connect(path: str | Path, *, create: bool = True) -> sqlite3.Connection:
    """Open (and migrate) the workspace database at ``path``.

    Parameters
    ----------
    path : str or Path
        The ``.sqlite`` file. Its parent folder must exist.
    create : bool
        Create the file when it does not exist; otherwise a missing file raises.

    Returns
    -------
    sqlite3.Connection
        In autocommit mode (``isolation_level=None``): use :func:`transaction` to write.
        It may be handed from thread to thread (``check_same_thread=False``, as Streamlit
        reruns need) but must not be used by two threads at once: open one per session.

    Raises
    ------
    WorkspaceError
        The file is missing (with ``create=False``), not a database, or newer than this code.
    """
    path = Path(path)
    if not create and not path.is_file():
        raise WorkspaceError(
            "workspace not found",
            [Problem(f"no workspace database at {path}", file=str(path),
                     fix="check the path; a new workspace is created by the first command "
                         "that stores something (geosoc ingest FILE --workspace W --name N)")],
        )
    if not path.parent.is_dir():
        raise WorkspaceError("workspace folder missing", [Problem(
            f"folder {path.parent} does not exist", file=str(path), fix="create it first")])
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                           check_same_thread=False)
    try:
        conn.row_factory = sqlite3.Row
        _refuse_foreign(conn, path)  # before any pragma writes to the file
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn)
        _require_tables(conn, path)
    except sqlite3.DatabaseError as err:
        conn.close()
        raise WorkspaceError(
            "workspace cannot be opened",
            [Problem(str(err), file=str(path),
                     fix="check it is a geosoc workspace, or restore it from a backup")],
        ) from err
    except BaseException:
        conn.close()
        raise
    return conn


def _refuse_foreign(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a SQLite file that has tables but is not a geosoc workspace (never migrate it)."""
    if schema_version(conn) > 0:
        return
    tables = [row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
        "AND name NOT LIKE 'sqlite_%'")]
    if tables:
        raise WorkspaceError("not a geosoc workspace", [Problem(
            f"{path.name} is a SQLite database of something else (tables: "
            f"{', '.join(sorted(tables)[:5])}); it was left untouched", file=str(path),
            fix="choose a geosoc workspace file, or a new file name to create one")])


def _require_tables(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a workspace whose tables were dropped (say which, and how to recover)."""
    present = {row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    missing = [t for t in REQUIRED_TABLES if t not in present]
    if missing:
        raise WorkspaceError("the workspace is damaged", [Problem(
            f"table {name} is missing from the workspace", file=str(path),
            fix="it was removed outside geosoc: restore the workspace from a backup "
                "(geosoc audit verify tells whether the log was tampered with)")
            for name in missing])


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run one user action atomically: commit on success, roll back on any exception.

    Parameters
    ----------
    conn : sqlite3.Connection
        A connection from :func:`connect`.

    Yields
    ------
    sqlite3.Connection
        The same connection, inside ``BEGIN IMMEDIATE``.

    Raises
    ------
    WorkspaceError
        Another writer held the lock for longer than :data:`BUSY_TIMEOUT_MS`.
    """
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as err:
        raise WorkspaceError("workspace is busy", [Problem(
            f"could not take the write lock within {BUSY_TIMEOUT_MS / 1000:.0f} s: {err}",
            fix="another user or process is writing; try again")]) from err
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def schema_version(conn: sqlite3.Connection) -> int:
    """Return the highest migration applied to ``conn`` (0 for an empty database)."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if not exists:
        return 0
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every pending migration in order, each in its own transaction.

    Returns
    -------
    int
        The schema version after migrating.
    """
    current = schema_version(conn)
    if current > len(MIGRATIONS):
        raise WorkspaceError(
            "workspace was written by a newer geosoc",
            [Problem(f"schema version {current} > {len(MIGRATIONS)} known to this code",
                     fix="upgrade geosoc")],
        )
    for version, sql in enumerate(MIGRATIONS, start=1):
        if version <= current:
            continue
        with transaction(conn):
            for statement in _split_sql(sql):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                (version, utc_now().isoformat()),
            )
    return len(MIGRATIONS)


def _split_sql(script: str) -> list[str]:
    """Split a migration script into complete statements (triggers stay whole)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


def integrity_check(conn: sqlite3.Connection) -> str:
    """Return SQLite's ``PRAGMA integrity_check`` verdict (``"ok"`` when healthy)."""
    return "; ".join(str(row[0]) for row in conn.execute("PRAGMA integrity_check"))


def backup(conn: sqlite3.Connection, destination: str | Path) -> Path:
    """Copy the live database to ``destination`` with SQLite's online backup API.

    Parameters
    ----------
    conn : sqlite3.Connection
        The open workspace connection (readers and writers may keep working).
    destination : str or Path
        The backup file to write; an existing file is replaced.

    Returns
    -------
    Path
        ``destination``.
    """
    destination = Path(destination)
    if destination.resolve() == Path(conn.execute("PRAGMA database_list").fetchone()[2]).resolve():
        raise WorkspaceError(
            "backup would overwrite the workspace",
            [Problem("destination is the live database", file=str(destination),
                     fix="choose another file name")],
        )
    target = sqlite3.connect(destination)
    try:
        conn.backup(target)
    finally:
        target.close()
    return destination

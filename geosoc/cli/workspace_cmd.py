"""``geosoc workspace init|backup|restore|verify|retention``: name a study, keep it safe.

``retention`` deletes every dataset whose data-sharing record's delete-by date has come
(:func:`geosoc.workspace.retention.apply_retention`; the app does it on start too).

A workspace is the SQLite file you name (``chb.sqlite``) **and** the folder beside it
(``chb.datasets/``) that holds the stored datasets; copy both, or better use
``geosoc workspace backup``, which writes both into one verified archive
(:mod:`geosoc.workspace.backup`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from geosoc.cli import SUBCOMMANDS


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``geosoc workspace`` and its actions to the top-level parser."""
    parser = subparsers.add_parser("workspace", help=SUBCOMMANDS["workspace"])
    sub = parser.add_subparsers(dest="workspace_command", required=True, metavar="ACTION")
    init = sub.add_parser("init", help="create a workspace (or rename its study)")
    init.add_argument("--workspace", type=Path, required=True, help="the .sqlite file")
    init.add_argument("--name", required=True,
                      help='study name used in report titles, e.g. "Northtown CHB 2026"')
    backup = sub.add_parser("backup", help="write the database and datasets to one archive")
    backup.add_argument("--workspace", type=Path, required=True, help="the .sqlite file")
    backup.add_argument("--out", type=Path, required=True, help="the .zip archive to write")
    backup.add_argument("--overwrite", action="store_true", help="replace an existing archive")
    restore = sub.add_parser("restore", help="verify an archive and restore it")
    restore.add_argument("archive", type=Path, help="a .zip written by geosoc workspace backup")
    restore.add_argument("--workspace", type=Path, required=True,
                         help="the .sqlite file to create (its NAME.datasets/ folder too)")
    restore.add_argument("--replace", action="store_true",
                         help="restore over an existing workspace (old files kept beside it)")
    verify = sub.add_parser("verify", help="check an archive's manifest and hashes")
    verify.add_argument("archive", type=Path)
    retention = sub.add_parser("retention", help="delete datasets past their delete-by date")
    retention.add_argument("--workspace", type=Path, required=True, help="the .sqlite file")
    retention.add_argument("--on", metavar="YYYY-MM-DD", default=None,
                           help="apply as of this date (default today, UTC)")
    for action in (init, backup, restore, verify, retention):
        action.add_argument("--user", default=None,
                            help="who does it (default: $GEOSOC_USER or login; audited)")
        action.add_argument("--json", action="store_true", help="print the result as JSON")
    init.set_defaults(func=run_init)
    backup.set_defaults(func=run_backup)
    restore.set_defaults(func=run_restore)
    verify.set_defaults(func=run_verify)
    retention.set_defaults(func=run_retention)


def _who(workspace: Path, name: str | None) -> tuple[str, str]:
    from geosoc.cli.assets_cmd import acting_user
    from geosoc.workspace import Workspace

    with Workspace.open(workspace, create=False) as ws:
        return acting_user(ws, name)


def _show(args: argparse.Namespace, result: dict[str, object], text: str) -> int:
    print(json.dumps(result, indent=2, default=str) if args.json else text)
    return 0


def run_init(args: argparse.Namespace) -> int:
    """Create the workspace if needed and store the study name; return 0."""
    from geosoc.cli.assets_cmd import acting_user
    from geosoc.workspace import Workspace
    from geosoc.workspace.study_name import set_study_name

    created = not args.workspace.exists()
    with Workspace.open(args.workspace) as ws:
        user, role = acting_user(ws, args.user)
        name = set_study_name(ws, args.name, user=user, role=role)
    datasets = args.workspace.parent / f"{args.workspace.stem}.datasets"
    return _show(args, {"workspace": str(args.workspace), "name": name, "created": created,
                        "datasets": str(datasets)},
                 f"{'created' if created else 'updated'} workspace {args.workspace} "
                 f"(study {name!r}); datasets will be stored in {datasets}/ beside it")


def run_backup(args: argparse.Namespace) -> int:
    """Back up the workspace into one archive; return 0."""
    from geosoc.workspace.backup import backup_workspace

    user, role = _who(args.workspace, args.user)
    result = backup_workspace(args.workspace, args.out, user=user, role=role,
                              overwrite=args.overwrite)
    files = result["files"]
    return _show(args, result, f"wrote {args.out}: the database and {len(files) - 1} dataset "
                               f"file(s), with a SHA-256 manifest ({result['archive_sha256']})")


def run_restore(args: argparse.Namespace) -> int:
    """Verify the archive and restore it; return 0."""
    from geosoc.workspace.acting import default_name
    from geosoc.workspace.backup import restore_workspace, verify_archive

    verify_archive(args.archive)
    user = default_name(args.user)  # proved against the archive's users (and the replaced)
    result = restore_workspace(args.archive, args.workspace, user=user, replace=args.replace)
    aside = result["set_aside"]
    note = f"; previous files kept as {', '.join(aside)}" if aside else ""
    return _show(args, result, f"verified and restored {result['files']} file(s) from "
                               f"{args.archive} to {args.workspace}{note}")


def run_verify(args: argparse.Namespace) -> int:
    """Check an archive; return 0 when every hash matches."""
    from geosoc.workspace.backup import verify_archive

    manifest = verify_archive(args.archive)
    return _show(args, manifest, f"{args.archive}: {len(manifest['files'])} file(s), every "
                                 f"SHA-256 matches (backup of {manifest['workspace']} taken "
                                 f"{manifest['created_at']})")


def run_retention(args: argparse.Namespace) -> int:
    """Delete every dataset past its delete-by date (files and rows), audited; return 0."""
    from datetime import date

    from geosoc.errors import ConfigError, Problem
    from geosoc.workspace import Workspace
    from geosoc.workspace.retention import apply_retention

    try:
        on = date.fromisoformat(args.on) if args.on else None
    except ValueError as err:
        raise ConfigError("--on is not a date", [Problem(
            f"{args.on!r} is not YYYY-MM-DD", column="--on", fix="e.g. --on 2026-04-01")]
        ) from err
    user, role = _who(args.workspace, args.user)
    with Workspace.open(args.workspace, create=False) as ws:
        deleted = apply_retention(ws, who=user, role=role, on=on)
    lines = [f"deleted {d['dataset']}: {d['rows']:,} rows, file {d['file']} ({d['reason']})"
             for d in deleted]
    text = "\n".join(lines) or "no dataset is past its delete-by date"
    return _show(args, {"workspace": str(args.workspace), "deleted": deleted}, text)

"""The ``geosoc`` command line: a thin shell over the library.

Each subcommand lives in its own module under ``geosoc.cli`` and exposes
``register(subparsers)``, which adds its parser and sets ``func(args) -> int``. Only the
module of the command being run is imported (its heavy library imports with it), so
``geosoc --help`` lists the commands from :data:`SUBCOMMANDS` without importing any of them.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import json
import os
import re
import sys
from collections.abc import Iterator, Sequence

from geosoc.errors import GeosocError

#: Subcommands and their one-line help, in the order ``geosoc --help`` lists them; each is
#: the module ``geosoc.cli.<name>_cmd``.
SUBCOMMANDS: dict[str, str] = {
    "demo": "generate the fictional demo town (police, partner, boundary data)",
    "ingest": "check and read a data file, printing an ingest report",
    "profile": "build the FB4 locality profile (hotspots, trend, concentration)",
    "assets": "community asset register (FB5)",
    "sites": "rank candidate CHB sites",
    "phases": "track change and displacement per phase",
    "audit": "append-only audit log",
    "export": "export the locality profile for a role",
    "users": "workspace users",
    "activities": "a site's 4P activity and disruption log",
    "morile": "a site's MoRiLE score series",
    "perception": "community perception survey waves",
    "review": "write a site's 6-month review pack (standalone HTML)",
    "workspace": "name a study; back up, restore or apply retention to a workspace",
    "datasets": "datasets held and their data-sharing records (ISA register, delete-by)",
    "basemap": "cut the study area out of a vector tile archive for an offline labelled map",
    "app": "set up the offline map files and demo town, then start the app",
    "login": "sign in to a workspace once; commands then use a short-lived token",
}
SUBCOMMAND_MODULES = tuple(SUBCOMMANDS)
#: Read the acting user's password from the first line of stdin (any command, any place).
PASSWORD_STDIN = "--password-stdin"  # noqa: S105 - a flag, not a password


def month_arg(text: str) -> str:
    """Return ``text`` if it is a calendar month ``YYYY-MM``; the argparse type of month flags.

    Raises
    ------
    argparse.ArgumentTypeError
        When ``text`` is not ``YYYY-MM`` with a month from 01 to 12 (argparse then prints
        the flag, the value and the fix, and exits with code 2).
    """
    match = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a month: write YYYY-MM with a month from 01 to 12, e.g. 2024-06")
    return text.strip()


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Return the top-level parser.

    Parameters
    ----------
    only : str, optional
        Register just this subcommand in full (its module alone is imported, which keeps
        ``geosoc ingest ...`` from importing the whole library). When ``None`` every command
        is listed by name and help only, importing none of them.
    """
    parser = argparse.ArgumentParser(
        prog="geosoc",
        description="Clear, Hold, Build analysis: harm hotspots, assets, sites, displacement.",
        epilog="Acting as a user of a workspace with users (--user NAME or $GEOSOC_USER) needs "
               "their password ($GEOSOC_PASSWORD, --password-stdin, or a prompt on a "
               "terminal) or a token from geosoc login ($GEOSOC_TOKEN or the saved one).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    if only is None:
        for name, text in SUBCOMMANDS.items():
            sub.add_parser(name, help=text)
        return parser
    importlib.import_module(f"geosoc.cli.{only}_cmd").register(sub)
    return parser


def user_error(err: BaseException) -> GeosocError | None:
    """Return a clear error for environment and file-content failures, else ``None``.

    A full disk, and geometry or GeoJSON the GEOS/GDAL readers reject (an unclosed polygon
    ring, a file nested too deeply) are problems the user can fix, not bugs: say so instead
    of printing a traceback. Matched by module name so ``geosoc --help`` imports neither.
    """
    from geosoc.errors import Problem

    module = type(err).__module__ or ""
    if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT):
        return GeosocError("the disk is full", [Problem(
            f"{err.strerror}: {err.filename or ''}".rstrip(": "),
            fix="free disk space (or write to another folder) and run the command again; "
                "nothing half-written was kept")])
    if module.startswith(("shapely", "pyogrio")) or isinstance(err, RecursionError):
        return GeosocError("an input file holds geometry or structure that cannot be read",
                           [Problem(str(err).splitlines()[0][:300] if str(err) else
                                    type(err).__name__,
                                    fix="check the file: polygon rings must be closed (first "
                                        "point repeated at the end), GeoJSON must not be "
                                        "nested deeply; re-export it from your GIS")])
    return None


def _credential(argv: list[str], password_stdin: bool) -> contextlib.AbstractContextManager:
    """Return the context giving the command one credential (read once, proved once).

    Only a command on a workspace needs one, so the others do not import the workspace code.
    """
    if not password_stdin and not any(a.startswith("--workspace") for a in argv):
        return contextlib.nullcontext()
    from geosoc.workspace.acting import Credential, supplied_credential

    return supplied_credential(Credential.from_environment(password_stdin))


@contextlib.contextmanager
def _key_note() -> Iterator[None]:
    """Say so on stderr when the command created the server key (a new workspace's)."""
    from geosoc.config import KEY_ENV, key_file_path

    path = None if os.environ.get(KEY_ENV) else key_file_path()
    existed = path is None or path.exists()
    try:
        yield
    finally:
        if not existed and path.exists():
            print(f"note: created a new server key at {path} (readable by you only). Back it "
                  "up with the server's configuration: the workspace's users and audit log "
                  "are signed with it, and geosoc never makes a replacement for an existing "
                  "workspace.", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code.

    A :class:`~geosoc.errors.GeosocError` is printed (as JSON with ``--json``) and gives
    exit code 2; anything else is a bug and propagates.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    password_stdin = PASSWORD_STDIN in argv
    argv = [a for a in argv if a != PASSWORD_STDIN]
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command if command in SUBCOMMAND_MODULES else None)
    args = parser.parse_args(argv)
    try:
        try:
            with _credential(argv, password_stdin), _key_note():
                return int(args.func(args))
        except Exception as raw:  # translated when the user can fix it, else re-raised
            translated = user_error(raw)
            if translated is None:
                raise
            raise translated from raw
    except GeosocError as err:
        if getattr(args, "json", False):
            print(json.dumps(err.to_dict(), indent=2))
        else:
            print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

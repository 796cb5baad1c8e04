"""``geosoc datasets list|share|register|delete``: datasets held and their sharing terms.

- ``list`` shows every dataset with its owner agency, widest role and delete-by date (what
  the signed-in role may see is marked).
- ``share NAME --owner ... --isa ... --legal-basis ... --marking ... --widest-role ...
  --delete-by YYYY-MM-DD`` records (or updates) a dataset's data-sharing terms; ``--csv``
  records many at once (columns as :data:`geosoc.workspace.sharing.REGISTER_COLUMNS`).
- ``register --csv out.csv --purpose WHY`` writes the ISA/DPIA register for the DPO, through
  :meth:`Workspace.export` (audited, chain head embedded, formulas neutralised).
- ``delete NAME --reason WHY`` deletes a dataset now (file and row), audited.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from geosoc.cli import SUBCOMMANDS

#: Sharing-record flags shared with ``geosoc ingest`` (flag, record field, help).
SHARING_FLAGS = (
    ("--owner", "owner_agency", "owner agency, e.g. 'Northtown Council'"),
    ("--isa", "isa_reference", "information sharing agreement reference, e.g. ISA-2025-014"),
    ("--dpia", "dpia_reference", "DPIA reference (optional)"),
    ("--legal-basis", "legal_basis",
     "legal gateway, e.g. 'Crime and Disorder Act 1998 s115' or 'DPA 2018 Part 3'"),
    ("--marking", "protective_marking", "protective marking: OFFICIAL or OFFICIAL-SENSITIVE"),
    ("--widest-role", "widest_role",
     "widest role allowed to see it, even aggregated: analyst, partner or public"),
    ("--delete-by", "delete_by", "date by which it must be deleted, YYYY-MM-DD"),
    ("--sharing-notes", "notes", "conditions of the agreement (optional)"),
)


def add_sharing_flags(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """Add the data-sharing record flags (:data:`SHARING_FLAGS`) to ``parser``."""
    for flag, field, text in SHARING_FLAGS:
        parser.add_argument(flag, dest=f"share_{field}", metavar="TEXT", help=text)


def sharing_from_args(args: argparse.Namespace) -> object | None:
    """Return the :class:`SharingRecord` the flags give, None when none was given.

    Raises
    ------
    WorkspaceError
        Some flags given but not all the required ones, or a value not usable.
    """
    from geosoc.workspace.sharing import SharingRecord

    values = {field: getattr(args, f"share_{field}", None) for _, field, _ in SHARING_FLAGS}
    if not any(values.values()):
        return None
    return SharingRecord.from_mapping(values)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``geosoc datasets`` and its actions to the top-level parser."""
    parser = subparsers.add_parser("datasets", help=SUBCOMMANDS["datasets"])
    sub = parser.add_subparsers(dest="datasets_command", required=True, metavar="ACTION")
    listing = sub.add_parser("list", help="datasets held, owners, widest role, delete-by")
    share = sub.add_parser("share", help="record a dataset's data-sharing terms")
    share.add_argument("name", nargs="?", help="the dataset (need not be loaded yet)")
    add_sharing_flags(share)
    share.add_argument("--csv", type=Path, dest="records_csv",
                       help="record many: a CSV with dataset, owner_agency, isa_reference, "
                            "legal_basis, protective_marking, widest_role, delete_by")
    report = sub.add_parser("register", help="write the ISA/DPIA register (CSV) for the DPO")
    report.add_argument("--csv", type=Path, required=True, dest="out", help="CSV to write")
    report.add_argument("--purpose", required=True, help="why it is exported (audited)")
    delete = sub.add_parser("delete", help="delete a dataset now (file and row), audited")
    delete.add_argument("name")
    delete.add_argument("--reason", required=True, help="why, e.g. 'ISA ended 2026-03-31'")
    for action in (listing, share, report, delete):
        action.add_argument("--workspace", type=Path, required=True, help="the .sqlite file")
        action.add_argument("--user", default=None,
                            help="who does it (default: $GEOSOC_USER or login; audited)")
        action.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=run_list)
    share.set_defaults(func=run_share)
    report.set_defaults(func=run_register)
    delete.set_defaults(func=run_delete)


def _open(args: argparse.Namespace) -> tuple[object, str, str]:
    from geosoc.cli.assets_cmd import acting_user
    from geosoc.workspace import Workspace

    ws = Workspace.open(args.workspace, create=False)
    try:
        user, role = acting_user(ws, args.user)
    except BaseException:
        ws.close()
        raise
    return ws, user, role


def run_list(args: argparse.Namespace) -> int:
    """Print the datasets with their sharing terms; 0."""
    from geosoc.workspace.sharing import register_frame

    ws, user, role = _open(args)
    with ws:
        table = register_frame(ws.sharing.frame(), ws.datasets.list(), today=ws.now().date())
        from geosoc.workspace.dataset_store import list_datasets

        split = list_datasets(ws).set_index("name")["partitioned"]
        table["partitioned"] = table["dataset"].map(split).fillna(False).astype(bool)
        ws.record(who=user, role=role, action="datasets.list", target="workspace:datasets")
    from geosoc.workspace.sharing import UNRECORDED_WIDEST_ROLE, allows

    widest = table["widest_role"].where(table["widest_role"] != "", UNRECORDED_WIDEST_ROLE)
    table["you_may_see"] = [allows(w, role) and s != "deleted"
                            for w, s in zip(widest, table["status"], strict=True)]
    if role != "analyst":  # a dataset kept from this role is not even named to it
        table = table[table["you_may_see"]].reset_index(drop=True)
    shown = ["dataset", "kind", "rows", "partitioned", "owner_agency", "isa_reference",
             "legal_basis", "protective_marking", "widest_role", "delete_by", "days_left",
             "status", "you_may_see"]
    if args.json:
        print(table[shown].to_json(orient="records", indent=2))
        return 0
    if table.empty:
        print(f"{args.workspace} holds no datasets")
        return 0
    print(table[shown].to_string(index=False))
    overdue = table[(table["status"] == "held") & (table["days_left"].fillna(1) <= 0)]
    if len(overdue):
        print(f"\n{len(overdue)} dataset(s) past their delete-by date: run "
              f"geosoc workspace retention --workspace {args.workspace}")
    unrecorded = table[table["status"] == "no sharing record"]
    if len(unrecorded):
        print(f"\n{len(unrecorded)} dataset(s) have no sharing record: geosoc datasets share "
              "NAME --owner ... --isa ... --legal-basis ... --marking ... --widest-role ... "
              "--delete-by YYYY-MM-DD")
    return 0


def run_share(args: argparse.Namespace) -> int:
    """Record the sharing terms of one dataset (or a CSV of them); 0."""
    from geosoc.errors import ConfigError, Problem, WorkspaceError
    from geosoc.ingest.files import read_csv_checked
    from geosoc.workspace.sharing import SharingRecord

    if (args.name is None) == (args.records_csv is None):
        raise ConfigError("give a dataset NAME or --csv", [Problem(
            "name one dataset, or give a CSV of records", column="NAME",
            fix="geosoc datasets share police --owner ... or --csv records.csv")])
    if args.records_csv is not None:
        rows = read_csv_checked(args.records_csv, required=("dataset",))
        terms, problems = [], []
        for i, row in rows.iterrows():
            try:
                terms.append((row["dataset"].strip(), SharingRecord.from_mapping(row)))
            except WorkspaceError as err:
                problems += [Problem(p.message, file=str(args.records_csv), row=int(i) + 2,
                                     column=p.column, fix=p.fix) for p in err.problems]
        if problems:
            raise WorkspaceError("sharing records not recorded (none were)", problems)
    else:
        terms = [(args.name, sharing_from_args(args))]
        if terms[0][1] is None:
            terms = [(args.name, SharingRecord.from_mapping({}))]  # raises: what is missing
    ws, user, role = _open(args)
    with ws:
        recorded = [ws.sharing.record(name, t, user=user, role=role) for name, t in terms]
    if args.json:
        print(json.dumps(recorded, indent=2, default=str))
    else:
        for r in recorded:
            print(f"recorded {r['dataset']}: {r['owner_agency']}, {r['isa_reference']}, "
                  f"{r['legal_basis']}, {r['protective_marking']}, widest role "
                  f"{r['widest_role']}, delete by {r['delete_by']}")
    return 0


def run_register(args: argparse.Namespace) -> int:
    """Write the ISA/DPIA register CSV through :meth:`Workspace.export`; 0."""
    from geosoc.workspace.acting import Actor, authorise
    from geosoc.workspace.roles import ANALYSTS
    from geosoc.workspace.sharing import register_frame, write_register_csv

    ws, user, role = _open(args)
    with ws:
        authorise(Actor(user, role, True), ANALYSTS, "export the ISA/DPIA register", ws.users)
        table = register_frame(ws.sharing.frame(), ws.datasets.list(), today=ws.now().date())
        path = ws.export(args.out, lambda temp, anchor: write_register_csv(table, temp, anchor),
                         who=user, role=role, action="export.sharing_register",
                         purpose=args.purpose, details={"datasets": len(table)})
    summary = {"out": str(path), "datasets": len(table), "bytes": path.stat().st_size}
    print(json.dumps(summary) if args.json else
          f"wrote {path}: {len(table)} dataset(s), OFFICIAL-SENSITIVE (audited)")
    return 0


def run_delete(args: argparse.Namespace) -> int:
    """Delete one dataset now (file and row), audited; 0."""
    from geosoc.workspace.retention import delete_dataset, require_known

    ws, user, role = _open(args)
    with ws:
        require_known(ws, args.name)
        result = delete_dataset(ws, args.name, who=user, role=role, reason=args.reason)
    print(json.dumps(result) if args.json else
          f"deleted {args.name}: {result['rows']:,} rows and its file {result['file']} "
          "(audited; backups taken before now still hold it)")
    return 0

"""``geosoc phases set|report``: record phase dates; change and displacement per phase.

Without ``--workspace`` it runs on the demo town's site. With ``--workspace W --site NAME``
the site outline and phase dates come from the workspace, and so does the data: the incidents
stored there (police and partners, :func:`geosoc.workspace.dataset_store.load_incidents`;
``--source`` picks which) and the stored ward boundaries, from which the control is chosen by
:func:`geosoc.phases.rings.suggest_control`. ``--police FOLDER`` / ``--wards FILE`` read raw files
instead of the stored ones.

Writes ``phases.csv``, ``displacement_count.csv``, ``displacement_harm.csv``,
``monthly.csv`` (formulas neutralised), ``phases_count.png``, ``phases_harm.png`` and
``summary.json`` / ``summary.md`` into ``--out``.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import shapely

from geosoc.assets.files import neutralise_formulas
from geosoc.cli import SUBCOMMANDS, month_arg
from geosoc.cli.partner_args import add_partner_flags, partner_counts_for
from geosoc.cli.partner_outputs import write_partner_phases
from geosoc.cli.phase_dates import plan_within_data
from geosoc.errors import AnalysisError, ConfigError, Problem, WorkspaceError
from geosoc.harm import apply_harm_weights
from geosoc.ingest.accounting import RowAccount
from geosoc.phases.change import LAYER_HARM, PhasePlan, monthly_series
from geosoc.phases.readings import describe_published
from geosoc.phases.rings import buffer_rings, suggest_control
from geosoc.phases.site_evaluation import SiteEvaluation, evaluate_site
from geosoc.phases.verdicts import descriptive_change
from geosoc.report.evaluation_text import evaluation_markdown
from geosoc.report.phase_chart import phase_chart
from geosoc.schema import HARM, MONTH, SOURCE

if TYPE_CHECKING:
    from geosoc.workspace import Workspace

#: Protective marking written on analyst outputs.
MARKING = "OFFICIAL-SENSITIVE"


@dataclass(frozen=True)
class SiteInputs:
    """Everything the report needs about one site."""

    name: str
    geometry: shapely.Geometry
    plan: PhasePlan
    incidents: gpd.GeoDataFrame
    control: shapely.Geometry
    control_note: str
    areas: gpd.GeoDataFrame | None = None  # wards, for the neighbouring areas of the watch
    partner: object | None = None  # PartnerCounts: partner area counts around the site


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``phases report`` to the top-level parser."""
    parser = subparsers.add_parser(
        "phases", help=SUBCOMMANDS["phases"])
    sub = parser.add_subparsers(dest="phases_command", required=True, metavar="ACTION")
    report = sub.add_parser("report", help="tables, charts and readings for one site")
    report.add_argument("--workspace", type=Path, help="workspace holding the site")
    report.add_argument("--site", help="site name in the workspace")
    report.add_argument("--police", type=Path,
                        help="police.uk folder or CSV (default: the workspace's incidents)")
    report.add_argument("--wards", type=Path,
                        help="ward boundaries for choosing a control (default: stored wards)")
    report.add_argument("--source", default="police",
                        help="incident source to analyse, or 'all' (default police)")
    report.add_argument("--bands", default="0,250,500", help="buffer ring edges in metres")
    report.add_argument("--demo", action="store_true",
                        help="report on the fictional demo town's site (outputs marked DEMO)")
    report.add_argument("--demo-dir", type=Path, help="demo town folder (default: built in)")
    report.add_argument("--out", type=Path, required=True, help="output folder")
    add_partner_flags(report)
    report.add_argument("--user", default=None, help="who runs it (default: $GEOSOC_USER)")
    report.add_argument("--json", action="store_true", help="print the summary as JSON")
    report.add_argument("--strict", action="store_true",
                        help="fail (exit 2) when more than --max-drop of the rows are lost")
    report.add_argument("--max-drop", type=float, default=0.05, metavar="SHARE",
                        help="share of rows lost that warns (default 0.05)")
    report.set_defaults(func=run_report)
    watch = sub.add_parser("watch", help="Hold-phase displacement watch: each Hold month, "
                           "observed against expected for the site, rings and neighbours")
    for name in ("--workspace", "--police", "--wards", "--demo-dir"):
        watch.add_argument(name, type=Path, help=f"as for report ({name})")
    watch.add_argument("--site", help="site name in the workspace")
    watch.add_argument("--demo", action="store_true", help="the fictional demo town's site")
    watch.add_argument("--user", default=None, help="who runs it (default: $GEOSOC_USER)")
    watch.add_argument("--source", default="police", help="incident source, or 'all'")
    watch.add_argument("--bands", default="0,250,500", help="buffer ring edges in metres")
    watch.add_argument("--json", action="store_true", help="print the watch table as JSON")
    watch.add_argument("--since", type=month_arg, metavar="YYYY-MM",
                       help="print only the alert digest from this month on (e.g. the "
                            "month just ingested)")
    watch.set_defaults(func=run_watch)
    dates = sub.add_parser("set", help="record a site's phase dates in the workspace")
    dates.add_argument("--workspace", type=Path, required=True, help="workspace with the site")
    dates.add_argument("--site", required=True, help="site name")
    for phase in ("baseline", "clear", "hold", "build"):
        dates.add_argument(f"--{phase}", metavar="FROM:TO",
                           help=f"{phase} months, e.g. 2024-06:2024-08 (TO may be empty: "
                                "still running)" + ("; default: the 12 months before Clear"
                                                    if phase == "baseline" else ""))
    dates.add_argument("--cycle", metavar="PHASE:FROM:TO,...",
                       help="a cyclical plan instead of --clear/--hold/--build, in time order, "
                            "e.g. clear:2024-01:2024-03,hold:2024-04:2024-09,"
                            "clear:2024-10:2024-11,hold:2024-12:")
    dates.add_argument("--user", default=None, help="who records it (default: $GEOSOC_USER)")
    dates.add_argument("--json", action="store_true", help="print the stored plan as JSON")
    from geosoc.cli.phase_dates import run_set

    dates.set_defaults(func=run_set)


def _bands(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError as err:
        raise ConfigError("invalid --bands", [Problem(
            f"{text!r} is not a list of metres", column="--bands",
            fix="write e.g. 0,250,500")]) from err


def _demo_inputs(args: argparse.Namespace) -> SiteInputs:
    from geosoc.synth.demo import load_demo

    demo = load_demo(args.demo_dir) if args.demo_dir else load_demo()
    site = demo.site
    plan = plan_within_data(site.plan_frame(), demo.incidents[MONTH])
    controls = list(demo.manifest.truth.get("control_wards", []))
    control = shapely.union_all(demo.wards.loc[controls].geometry.to_numpy())
    note = f"control wards chosen for the demo: {', '.join(controls)}"
    return SiteInputs(f"DEMO — fictional data: {site.name}", site.geometry, plan,
                      demo.incidents, control, note, demo.wards,
                      partner_counts_for(demo, args, role="analyst"))


def _workspace_data(ws: Workspace, args: argparse.Namespace
                    ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Incidents and wards: raw files when given, else the workspace's stored datasets."""
    from geosoc.ingest import read_boundaries, read_policeuk
    from geosoc.workspace.dataset_store import load_areas, load_incidents

    problems: list[Problem] = []
    incidents = wards = None
    try:
        incidents = (read_policeuk(args.police).data if args.police
                     else load_incidents(ws, role="analyst"))
    except WorkspaceError as err:
        problems += err.problems
    try:
        wards = (read_boundaries(args.wards, kind="ward").data if args.wards
                 else load_areas(ws, "ward", role="analyst"))
    except WorkspaceError as err:
        problems += err.problems
    if problems or incidents is None or wards is None:
        raise WorkspaceError("phases report needs incidents and ward boundaries (store them "
                             "in the workspace, or pass --police / --wards)", problems)
    return incidents, wards


def _workspace_inputs(args: argparse.Namespace) -> SiteInputs:
    from geosoc.workspace import Workspace

    if not args.site:
        raise ConfigError("--workspace needs --site", [Problem(
            "no site named", column="--site", fix="add --site NAME")])
    with Workspace.open(args.workspace, create=False) as ws:
        geometry = ws.sites.frame().geometry.get(args.site)
        phases = ws.sites.phases(args.site)  # raises WorkspaceError naming the site if absent
        if "clear" not in set(phases["phase"]):
            raise WorkspaceError(f"site {args.site!r} has no phase dates yet", [Problem(
                "no Clear phase is recorded", file=str(args.workspace), column="--site",
                fix=f"record them: geosoc phases set --workspace {args.workspace} "
                    f"--site {args.site!r} --clear 2024-06:2024-08 --hold 2024-09:2025-02 "
                    "--build 2025-03:")])
        incidents, wards = _workspace_data(ws, args)
        partner = _workspace_partner(ws, args)
    plan = plan_within_data(phases, incidents[MONTH])
    exclude = buffer_rings(geometry, (0, max(_bands(args.bands)))).union_all()
    exclude = shapely.union(exclude, geometry)
    best = suggest_control(geometry, wards, incidents, exclude=exclude,
                           baseline=(plan.baseline.start, plan.baseline.end))
    note = "control wards best matching the site's baseline trend: " + ", ".join(best.index)
    return SiteInputs(args.site, geometry, plan, incidents,
                      shapely.union_all(best.geometry.to_numpy()), note, wards, partner)


def _workspace_partner(ws: Workspace, args: argparse.Namespace) -> object | None:
    """Return the workspace's partner area counts with ``--partner-treatment`` (or None)."""
    from geosoc.cli.partner_args import parse_treatment
    from geosoc.report.review_inputs import workspace_partner_counts

    bundle = workspace_partner_counts(ws, role="analyst")
    treatment = parse_treatment(getattr(args, "partner_treatment", []))
    return None if bundle is None else bundle.with_treatment(treatment)


def _write_csv(frame: pd.DataFrame, path: Path) -> Path:
    neutralise_formulas(frame).to_csv(path, index=False)
    return path


def evaluate_inputs(inputs: SiteInputs, bands_m: tuple[float, ...], *,
                    parts: tuple[str, ...] = ("tests", "watch", "sppt", "descriptive")
                    ) -> SiteEvaluation:
    """Evaluate the site once (:func:`geosoc.phases.site_evaluation.evaluate_site`)."""
    from geosoc.phases.rings import adjacent_areas

    neighbours = (adjacent_areas(inputs.geometry, inputs.areas)
                  if inputs.areas is not None and "watch" in parts else None)
    return evaluate_site(inputs.incidents, inputs.geometry, inputs.plan, name=inputs.name,
                         bands_m=bands_m, control=inputs.control, neighbours=neighbours,
                         parts=parts)


def build_report(inputs: SiteInputs, bands_m: tuple[float, ...], out: Path) -> dict:
    """Compute the site's evaluation once, write its tables and charts to ``out``; summarise."""
    incidents = inputs.incidents
    if HARM not in incidents.columns:
        incidents = apply_harm_weights(incidents, unknown=1.0)
        inputs = replace(inputs, incidents=incidents)
    rings = buffer_rings(inputs.geometry, bands_m)
    out.mkdir(parents=True, exist_ok=True)
    result = evaluate_inputs(inputs, bands_m)
    zones = {"site": inputs.geometry, **dict(zip(rings["ring"], rings.geometry, strict=True)),
             "control": inputs.control}
    series = monthly_series(incidents, zones, months=result.plan.span,
                            exclude_police_activity=True)
    written = [_write_csv(result.site_change, out / "phases.csv"),
               _write_csv(series, out / "monthly.csv")]
    published = result.published
    for measure in ("count", "harm"):
        written.append(_write_csv(published[published["measure"] == measure],
                                  out / f"displacement_{measure}.csv"))
        chart = out / f"phases_{measure}.png"
        phase_chart(series, result.plan, measure=measure, path=chart,
                    title=f"{inputs.name}: {measure} per month (excluding police activity)")
        written.append(chart)
    written += [_write_csv(result.tests, out / "verdicts.csv"),
                _write_csv(result.sppt, out / "sppt.csv"),
                _write_csv(result.descriptive, out / "published_measures.csv"),
                _write_csv(result.watch, out / "watch.csv")]
    verdicts = result.tests
    totals = result.site_change[(result.site_change["layer"] == LAYER_HARM)
                                & (result.site_change["category"] == "all")]
    displacement = {m: [describe_published(r.phase, r.ring, r.measure, r.site_pct, r.ring_pct,
                                           r.control_pct, r.wdq, r.wdd, r.wdd_se)
                        for r in published[published["measure"] == m].itertuples()]
                    for m in ("count", "harm")}
    watch = result.watch
    summary = {
        "marking": MARKING, "site": inputs.name, "phases": result.plan.to_dict(),
        "as_of": str(result.as_of), "control": inputs.control_note, "rings_m": list(bands_m),
        "verdict": result.verdict,
        "verdicts": verdicts[["phase", "zone", "measure", "verdict", "p_adjusted", "power",
                              "method", "reading"]].astype(object)
        .where(verdicts[["phase", "zone", "measure", "verdict", "p_adjusted", "power",
                         "method", "reading"]].notna(), None).to_dict("records"),
        "watch_alerts": int(watch["alert"].sum()) if len(watch) else 0,
        "watch": watch["reading"].tolist() if len(watch) else [],
        "site_change": [descriptive_change(p, h, r) for p, h, r in zip(
            totals["phase"], totals["harm_pct_change"], totals["rate_ratio"], strict=True)
            if p != "baseline"],
        "displacement": displacement,
        "sppt": result.sppt["reading"].tolist() if len(result.sppt) else [],
        "files": [str(p) for p in written],
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    lines = evaluation_markdown(result, title=f"{inputs.name}: did it work? ({MARKING})",
                                control_note=inputs.control_note)
    (out / "summary.md").write_text("\n".join(lines))
    summary["files"] += [str(out / "summary.json"), str(out / "summary.md")]
    return summary


def _chosen(args: argparse.Namespace) -> SiteInputs:
    """Return the site's inputs (analysts only), keeping only the incidents of ``--source``."""
    return _chosen_with_count(args)[0]


def _chosen_with_count(args: argparse.Namespace) -> tuple[SiteInputs, int]:
    """Return the site's inputs after ``--source`` and the incident count before it."""
    if not args.workspace and not (getattr(args, "demo", False) or args.demo_dir):
        raise ConfigError("no data given: geosoc does not fall back to the demo town", [Problem(
            "neither --workspace nor --demo was given", column="--workspace",
            fix="pass --workspace W --site NAME, or --demo for the fictional demo town")])
    from geosoc.workspace.acting import require_analyst

    require_analyst(args.workspace, args.user, "run phase reports")
    inputs = _workspace_inputs(args) if args.workspace else _demo_inputs(args)
    rows_in = len(inputs.incidents)
    if args.source != "all":
        chosen = inputs.incidents[inputs.incidents[SOURCE] == args.source]
        if chosen.empty:
            raise AnalysisError("no incidents from that source", [Problem(
                f"source {args.source!r} has no rows", column="--source",
                fix="use 'all' or one of: "
                    + ", ".join(sorted(inputs.incidents[SOURCE].unique())))])
        inputs = SiteInputs(inputs.name, inputs.geometry, inputs.plan, chosen,
                            inputs.control, inputs.control_note, inputs.areas, inputs.partner)
    return inputs, rows_in


def row_account(inputs: SiteInputs, rows_in: int, source: str) -> RowAccount:
    """Rows read, and the rows the report leaves out by reason (nothing silent).

    ``rows_in`` are the incidents before the ``--source`` choice. The source and the phase
    plan's months are the user's choices (reported, not counted as loss); rows without a
    location are loss. Police-activity categories are kept out of the monthly series and
    the verdicts (they rise when police look for them), which a note says.
    """
    from geosoc.ingest.accounting import NO_LOCATION, OUTSIDE_MONTHS
    from geosoc.schema import CATEGORY, LAT, POLICE_ACTIVITY_CATEGORIES

    account = RowAccount(rows_read=rows_in)
    account.drop("phases", "not in the chosen sources", rows_in - len(inputs.incidents))
    months = inputs.incidents[MONTH]
    span = inputs.plan.span
    outside = (months < span[0]) | (months > span[-1])
    account.drop("phases", OUTSIDE_MONTHS, int(outside.sum()))
    inside = inputs.incidents[~outside]
    account.drop("phases", NO_LOCATION, int(inside[LAT].isna().sum()))
    activity = int(inside[CATEGORY].isin(POLICE_ACTIVITY_CATEGORIES).sum())
    account.notes.append(f"source {source!r}; months {span[0]} to {span[-1]} (the phase plan "
                         f"within the data); {activity:,} police-activity rows (drugs, "
                         "weapons) kept out of the series and verdicts")
    return account


def run_report(args: argparse.Namespace) -> int:
    """Build the phase report for the demo site or a workspace site."""
    from geosoc.cli.profile_cmd import report_account

    inputs, rows_in = _chosen_with_count(args)
    account = row_account(inputs, rows_in, args.source)
    report_account(account, args, quiet=args.json)
    summary = build_report(inputs, _bands(args.bands), args.out)
    bands = _bands(args.bands)
    files, partner = write_partner_phases(
        inputs.partner, site=inputs.geometry, control=inputs.control, plan=inputs.plan,
        rings=buffer_rings(inputs.geometry, bands).union_all(), out=args.out)
    summary["files"] += [str(p) for p in files]
    summary["partner_counts"] = partner
    summary["rows"] = account.to_dict()
    summary["files"].append(str(account.write_csv(args.out / "drops.csv")))
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"{summary['site']} ({MARKING})")
    print(f"  verdict: {summary['verdict']['reading']}")
    print(f"  method: {summary['verdict']['method']}")
    print(f"  Hold watch: {summary['watch_alerts']} alert(s) (every month in summary.md)")
    for line in summary["site_change"]:
        print(f"  {line}")
    for text in summary["displacement"]["harm"]:
        print(f"  {text}")
    for text in partner:
        print(text)
    for path in summary["files"]:
        print(f"wrote {path}")
    return 0


def run_watch(args: argparse.Namespace) -> int:
    """Print the Hold watch (or its digest from ``--since``) for the demo or a workspace site."""
    from geosoc.phases.watch import watch_digest

    inputs = _chosen(args)
    table = evaluate_inputs(inputs, _bands(args.bands), parts=("watch",)).watch
    if args.json:
        records = table.astype(object).where(table.notna(), None).to_dict("records")
        body = {"marking": MARKING, "site": inputs.name,
                "hold": inputs.plan.to_dict().get("hold"),
                "alerts": int(table["alert"].sum()) if len(table) else 0, "watch": records}
        if args.since:
            body["digest"] = watch_digest(table, args.since)
        print(json.dumps(body, indent=2, default=str))
        return 0
    print(f"{inputs.name} ({MARKING}): Hold-phase displacement watch")
    if args.since:
        for text in watch_digest(table, args.since):
            print(f"  {text}")
        return 0
    if table.empty:
        print("  no Hold phase in the data yet")
    for text in table.get("reading", []):
        print(f"  {text}")
    return 0

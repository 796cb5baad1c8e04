"""``geosoc sites rank``: ranked, explainable candidate CHB sites.

With ``--workspace W`` the candidates are ranked on the datasets stored in the workspace
(:func:`geosoc.workspace.study.load_study`: incidents, wards, and LSOAs, postcodes, IMD and the
asset register when present) over ``--from``/``--to`` (default: every month). Without it, or
with ``--demo``, the demo town is used (its baseline period by default); ``--workspace`` then
only receives ``--save-site``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geosoc.assets.files import neutralise_formulas
from geosoc.cli import SUBCOMMANDS, month_arg
from geosoc.cli.assets_cmd import acting_user
from geosoc.errors import ConfigError, Problem
from geosoc.harm import apply_harm_weights
from geosoc.schema import HARM
from geosoc.sites.candidates import site_snapshot
from geosoc.sites.ranking import SCALES, baseline_period, in_period, rank_sites
from geosoc.sites.scoring import explain
from geosoc.sites.weights import ScoreWeights
from geosoc.workspace import Workspace
from geosoc.workspace.acting import require_analyst

#: Protective marking written beside analyst exports.
MARKING = "OFFICIAL-SENSITIVE"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``sites rank`` to the top-level parser."""
    parser = subparsers.add_parser(
        "sites", help=SUBCOMMANDS["sites"])
    sub = parser.add_subparsers(dest="sites_command", required=True, metavar="ACTION")
    rank = sub.add_parser("rank", help="rank wards, postcode sectors or H3 regions")
    rank.add_argument("--scale", choices=SCALES, default="ward")
    rank.add_argument("--weights", nargs="*", default=[], metavar="NAME=VALUE",
                      help="component weights, e.g. police_harm=1 vulnerability=0.8 "
                           "partner_harm__fire=0.2 normalisation=minmax")
    rank.add_argument("--gap-led", action="store_true",
                      help="count fewer community assets as more need (default: more assets "
                           "count for a site, as Build needs partners)")
    rank.add_argument("--target-km2", type=float, default=1.0, help="H3 region size (km²)")
    rank.add_argument("--resolution", type=int, default=9, help="H3 resolution of the cells")
    rank.add_argument("--max-regions", type=int, default=10)
    rank.add_argument("--min-incidents", type=int, default=20,
                      help="leave out candidates with fewer police incidents (default 20)")
    rank.add_argument("--from", dest="start", type=month_arg,
                      help="first month YYYY-MM (default: baseline)")
    rank.add_argument("--to", dest="end", type=month_arg,
                      help="last month YYYY-MM (default: baseline)")
    rank.add_argument("--unknown-harm", type=float, metavar="DAYS",
                      help="harm weight for categories missing from the weights table "
                           "(default: stop and list them)")
    rank.add_argument("--demo-dir", type=Path, help="demo town folder (default: built in)")
    rank.add_argument("--top", type=int, default=10, help="rows to print")
    rank.add_argument("--out", type=Path, help="folder for the ranking CSV and GeoJSON")
    rank.add_argument("--gpkg", action="store_true", help="also write a GeoPackage")
    rank.add_argument("--save-site", metavar="NAME", help="record the chosen site in --workspace")
    rank.add_argument("--site-code", help="candidate to save (default: rank 1)")
    rank.add_argument("--reason", help="why it was chosen (default: the explanation)")
    rank.add_argument("--workspace", type=Path,
                      help="rank on this workspace's stored datasets (and save sites there)")
    rank.add_argument("--demo", action="store_true",
                      help="rank the demo town even with --workspace")
    rank.add_argument("--user", default=None, help="who chooses (default: $GEOSOC_USER/login)")
    rank.add_argument("--json", action="store_true", help="print the result as JSON")
    rank.set_defaults(func=run_rank)


def parse_weights(pairs: list[str]) -> ScoreWeights:
    """Turn ``NAME=VALUE`` strings into :class:`ScoreWeights`, listing every bad one."""
    problems, values = [], {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            problems.append(Problem(f"weight {pair!r} is not NAME=VALUE", column="--weights",
                                    fix="write e.g. police_harm=1.5"))
        else:
            values[name.strip()] = value.strip()
    try:
        weights = ScoreWeights.from_dict(values)
    except ConfigError as err:
        problems += err.problems
    if problems:
        raise ConfigError("invalid --weights", problems)
    return weights


def _load_inputs(args: argparse.Namespace) -> tuple[object, gpd.GeoDataFrame, tuple]:
    """Load the study data; return it, its incidents in the period (with harm), the period.

    The data is the workspace's stored datasets with ``--workspace`` (unless ``--demo``),
    else the demo town; either has ``wards``, ``postcode_sectors``, ``lsoas``, ``imd`` and
    ``assets``.
    """
    if args.workspace is not None and not args.demo:
        from geosoc.workspace.study import load_study

        with Workspace.open(args.workspace, create=False) as ws:
            study = load_study(ws)
        period: tuple[str | None, str | None] = (None, None)
    else:
        from geosoc.synth.demo import load_demo

        study = load_demo(args.demo_dir) if args.demo_dir else load_demo()
        period = baseline_period(study.site.phases)
    incidents = study.incidents
    if HARM not in incidents.columns:
        unknown = "error" if args.unknown_harm is None else args.unknown_harm
        incidents = apply_harm_weights(incidents, unknown=unknown)
    start, end = args.start or period[0], args.end or period[1]
    return study, in_period(incidents, start, end), (start, end)


def run_rank(args: argparse.Namespace) -> int:
    """Rank candidates, print the top, write files, optionally save the chosen site."""
    require_analyst(args.workspace, args.user, "rank candidate sites")
    weights = parse_weights(args.weights)
    if args.save_site and args.workspace is None:
        raise ConfigError("--save-site needs --workspace", [Problem(
            "no workspace given", column="--workspace", fix="add --workspace PATH")])
    study, incidents, period = _load_inputs(args)
    assets = study.assets if len(study.assets) else None
    ranked = rank_sites(
        incidents, wards=study.wards, scale=args.scale,
        sectors=study.postcode_sectors, lsoas=study.lsoas,
        imd=study.imd, assets=assets, weights=weights,
        higher_is_worse={"assets": False} if args.gap_led else None,
        target_km2=args.target_km2, resolution=args.resolution, max_regions=args.max_regions,
        min_count=args.min_incidents)
    why = explain(ranked, ranked.index[0], ranked.index[1]) if len(ranked) > 1 else ""
    written = _write(ranked, args, period) if args.out else []
    saved = _save_site(ranked, args, why) if args.save_site else None
    top = ranked.head(args.top)
    if args.json:
        rows = pd.DataFrame(top.drop(columns="geometry")).reset_index()
        print(json.dumps({"scale": args.scale, "period": list(period),
                          "weights": ranked.attrs["weights"], "explanation": why,
                          "ranking": json.loads(rows.to_json(orient="records")),
                          "files": [str(p) for p in written], "saved_site": saved}, indent=2))
        return 0
    cols = ["rank", "name", "score", *ranked.attrs["components"], "missing"]
    print(f"{args.scale} candidates, {period[0] or 'start'} to {period[1] or 'end'}")
    if ranked.attrs["excluded"]:
        print(f"{len(ranked.attrs['excluded'])} candidate(s) with fewer than "
              f"{args.min_incidents} police incidents not ranked")
    print(pd.DataFrame(top[cols]).to_string(float_format=lambda v: f"{v:.3g}"))
    if why:
        print(why)
    for path in written:
        print(f"wrote {path}")
    if saved:
        print(f"saved site {saved['name']!r} (site_id {saved['site_id']})")
    return 0


def _write(ranked: gpd.GeoDataFrame, args: argparse.Namespace, period: tuple) -> list[Path]:
    """Write ranking CSV (formulas neutralised), GeoJSON (+ GPKG) and a JSON sidecar."""
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"site_ranking_{args.scale}"
    table = pd.DataFrame(ranked.drop(columns="geometry")).reset_index()
    neutralise_formulas(table).to_csv(stem.with_suffix(".csv"), index=False)
    ranked.to_file(stem.with_suffix(".geojson"), driver="GeoJSON")
    paths = [stem.with_suffix(".csv"), stem.with_suffix(".geojson")]
    if args.gpkg:
        ranked.to_file(stem.with_suffix(".gpkg"), driver="GPKG", layer="candidates")
        paths.append(stem.with_suffix(".gpkg"))
    meta = {"marking": MARKING, "scale": args.scale, "period": list(period),
            "weights": ranked.attrs["weights"], "components": ranked.attrs["components"],
            "target_km2": args.target_km2, "resolution": args.resolution}
    stem.with_suffix(".json").write_text(json.dumps(meta, indent=2))
    return [*paths, stem.with_suffix(".json")]


def _save_site(ranked: gpd.GeoDataFrame, args: argparse.Namespace, why: str) -> dict:
    """Record the chosen candidate as a CHB site and the ranking as a saved analysis."""
    code = args.site_code or ranked.index[0]
    score = site_snapshot(ranked, code)
    with Workspace.open(args.workspace) as ws:
        username, role = acting_user(ws, args.user)
        site_id = ws.sites.add(args.save_site, ranked.geometry.loc[code],
                               reason=args.reason or why, chosen_by=username,
                               chosen_on=dt.date.today(), score=score,
                               user=username, role=role)
        ws.analyses.save(f"site ranking for {args.save_site}", "site_ranking",
                         {"scale": args.scale, "weights": ranked.attrs["weights"],
                          "period": ranked.attrs.get("period"), "target_km2": args.target_km2,
                          "resolution": args.resolution, "chosen": str(code)},
                         user=username, role=role, replace=True)
    return {"name": args.save_site, "site_id": site_id, "code": str(code)}

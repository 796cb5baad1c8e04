"""``geosoc sites rank``: ranked, explainable candidate CHB sites.

With ``--workspace W`` the candidates are ranked on the datasets stored in the workspace
(:func:`geosoc.workspace.study.load_study`: incidents, wards, and LSOAs, postcodes, IMD and the
asset register when present) over ``--from``/``--to`` (default: every month). The fictional
demo town is used only when asked with ``--demo`` (its baseline period by default; outputs are
marked ``DEMO — fictional data``); ``--workspace`` then only receives ``--save-site``. With
neither the command stops (exit 2) and says what to pass.

The printed table shows each component's raw value beside its normalised score
(``95.6k (0.87)``); ``--scaling max`` keeps magnitudes (value / largest value) where the
default percentile rank compresses them. Rows read, dropped (outside the period, outside the
wards) and kept are printed and written; ``--strict`` fails above ``--max-drop``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geosoc.assets.files import neutralise_formulas
from geosoc.cli import SUBCOMMANDS, month_arg
from geosoc.cli.assets_cmd import acting_user
from geosoc.cli.partner_args import add_partner_flags, partner_counts_for
from geosoc.errors import ConfigError, Problem
from geosoc.harm import apply_harm_weights, harm_unit
from geosoc.ingest.accounting import OUTSIDE_COVER, OUTSIDE_MONTHS, WARN_SHARE, RowAccount
from geosoc.schema import CATEGORY, HARM, SOURCE
from geosoc.sites.candidates import site_snapshot
from geosoc.sites.ranking import SCALES, baseline_period, in_period, rank_sites
from geosoc.sites.scoring import explain
from geosoc.sites.weights import COMPONENTS, NORMALISATIONS, ScoreWeights, component_label
from geosoc.workspace import Workspace
from geosoc.workspace.acting import require_analyst

#: Protective marking written beside analyst exports.
MARKING = "OFFICIAL-SENSITIVE"
#: Marking of every output built from the fictional demo town.
DEMO_MARKING = "DEMO — fictional data"


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
                      help="rank the fictional demo town (with --workspace: save sites there)")
    rank.add_argument("--scaling", choices=NORMALISATIONS, default=None,
                      help="how raw components become 0-1 scores: rank (percentile, default), "
                           "minmax, or max (value / largest: keeps magnitudes)")
    rank.add_argument("--strict", action="store_true",
                      help="fail (exit 2) when more than --max-drop of the incidents are dropped")
    rank.add_argument("--max-drop", type=float, default=WARN_SHARE, metavar="SHARE",
                      help=f"share of incidents dropped that warns (default {WARN_SHARE})")
    rank.add_argument("--user", default=None, help="who chooses (default: $GEOSOC_USER/login)")
    rank.add_argument("--json", action="store_true", help="print the result as JSON")
    add_partner_flags(rank)
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


def _load_inputs(args: argparse.Namespace, account: RowAccount
                 ) -> tuple[object, gpd.GeoDataFrame, tuple]:
    """Load the study data; return it, its incidents in the period (with harm), the period.

    The data is the workspace's stored datasets with ``--workspace`` (unless ``--demo``),
    else the demo town when ``--demo``; either has ``wards``, ``postcode_sectors``,
    ``lsoas``, ``imd`` and ``assets``. ``account`` receives rows read and dropped.
    """
    if args.workspace is None and not args.demo:
        raise ConfigError("no data given: geosoc does not fall back to the demo town",
                          [Problem("neither --workspace nor --demo was given",
                                   column="--workspace",
                                   fix="pass --workspace W (datasets stored with geosoc ingest) "
                                       "or --demo for the fictional demo town")])
    if args.workspace is not None and not args.demo:
        from geosoc.cli.profile_cmd import stored_reports
        from geosoc.ingest.accounting import add_stored_reports
        from geosoc.workspace.study import load_study

        with Workspace.open(args.workspace, create=False) as ws:
            study = load_study(ws)
            add_stored_reports(account, stored_reports(ws), len(study.incidents))
        period: tuple[str | None, str | None] = (None, None)
    else:
        from geosoc.synth.demo import load_demo

        study = load_demo(args.demo_dir) if args.demo_dir else load_demo()
        period = baseline_period(study.site.phases)
    incidents = study.incidents
    if not account.rows_read:
        account.rows_read = len(incidents)
    if HARM not in incidents.columns:
        unknown = "error" if args.unknown_harm is None else args.unknown_harm
        incidents = apply_harm_weights(incidents, unknown=unknown)
    start, end = args.start or period[0], args.end or period[1]
    chosen = in_period(incidents, start, end)
    account.drop("period", OUTSIDE_MONTHS, len(incidents) - len(chosen))
    from geosoc.aggregate.tables import harm_by_area

    placed = harm_by_area(chosen, study.wards)
    account.drop("wards", OUTSIDE_COVER, int(placed.attrs.get("outside_count", 0)))
    account.drop("wards", "no location", int(placed.attrs.get("unlocated_count", 0)))
    return study, chosen, (start, end)


def _cell(raw: object, norm: object) -> str:
    """Raw value beside its normalised score: ``"95.6k (0.87)"``."""
    try:
        value, score = float(raw), float(norm)
    except (TypeError, ValueError):
        return ""
    if pd.isna(value):
        return "missing"
    big = abs(value) >= 1000
    text = f"{value / 1000:.1f}k" if big else f"{value:.3g}"
    return text + ("" if pd.isna(score) else f" ({score:.2f})")


def _units(ranked: gpd.GeoDataFrame, incidents: gpd.GeoDataFrame) -> dict[str, str]:
    """Return the unit of every component's raw value (harm labelled by what was summed)."""
    police = incidents[incidents[SOURCE] == "police"] if SOURCE in incidents else incidents
    units = {c: COMPONENTS[c][1] for c in ranked.attrs["components"] if c in COMPONENTS}
    if "police_harm" in units:
        units["police_harm"] = harm_unit(police[CATEGORY], police[SOURCE])
    for comp in ranked.attrs["components"]:
        if comp not in COMPONENTS:
            source = comp.split("__", 1)[1]
            rows = incidents[incidents[SOURCE] == source]
            units[comp] = (harm_unit(rows[CATEGORY], rows[SOURCE]) if len(rows)
                           else "days (area counts x the source's own weight)")
            if comp.startswith("partner_count__"):
                units[comp] = "events (partner area counts, an indicator)"
    return units


def run_rank(args: argparse.Namespace) -> int:
    """Rank candidates, print the top, write files, optionally save the chosen site."""
    require_analyst(args.workspace, args.user, "rank candidate sites")
    weights = parse_weights(args.weights)
    if args.scaling:
        weights = ScoreWeights.from_dict({"normalisation": args.scaling}, base=weights)
    if args.save_site and args.workspace is None:
        raise ConfigError("--save-site needs --workspace", [Problem(
            "no workspace given", column="--workspace", fix="add --workspace PATH")])
    account = RowAccount()
    study, incidents, period = _load_inputs(args, account)
    assets = study.assets if len(study.assets) else None
    ranked = rank_sites(
        incidents, wards=study.wards, scale=args.scale,
        sectors=study.postcode_sectors, lsoas=study.lsoas,
        imd=study.imd, assets=assets, weights=weights,
        higher_is_worse={"assets": False} if args.gap_led else None,
        target_km2=args.target_km2, resolution=args.resolution, max_regions=args.max_regions,
        min_count=args.min_incidents, partner_counts=partner_counts_for(study, args),
        partner_method=args.apportion, population=study.postcodes)
    why = explain(ranked, ranked.index[0], ranked.index[1]) if len(ranked) > 1 else ""
    seen = ranked.attrs.get("period") or [None, None]
    period = (period[0] or seen[0], period[1] or seen[1])
    units = _units(ranked, incidents)
    marking = DEMO_MARKING if args.demo else MARKING
    if not args.json:
        print(account.sentence())
    warning = account.warning(args.max_drop)
    if warning:
        print(f"\n{'!' * 72}\n{warning}\n{'!' * 72}\n", file=sys.stderr, flush=True)
    account.enforce(args.strict, args.max_drop)
    meta = {"marking": marking, "demo": bool(args.demo), "units": units,
            "rows": account.to_dict(),
            "scaling": ranked.attrs["weights"].get("normalisation", "rank")}
    written = _write(ranked, args, period, meta) if args.out else []
    saved = _save_site(ranked, args, why) if args.save_site else None
    top = ranked.head(args.top)
    if args.json:
        rows = pd.DataFrame(top.drop(columns="geometry")).reset_index()
        print(json.dumps({**meta, "scale": args.scale, "period": list(period),
                          "weights": ranked.attrs["weights"], "explanation": why,
                          "ranking": json.loads(rows.to_json(orient="records")),
                          "files": [str(p) for p in written], "saved_site": saved}, indent=2))
        return 0
    comps = ranked.attrs["components"]
    table = pd.DataFrame({"rank": top["rank"], "name": top["name"],
                          "score": top["score"].map(lambda v: f"{v:.3f}")})
    for comp in comps:
        table[comp] = [_cell(r, n) for r, n in zip(top[comp], top[f"{comp}__norm"],
                                                   strict=True)]
    table["missing"] = top["missing"]
    print(marking)
    print(f"{args.scale} candidates, {period[0] or '?'} to {period[1] or '?'} "
          f"(scaling: {meta['scaling']}; each component shows raw value (0-1 score))")
    if ranked.attrs["excluded"]:
        print(f"{len(ranked.attrs['excluded'])} candidate(s) with fewer than "
              f"{args.min_incidents} police incidents not ranked")
    print(table.to_string())
    print("units: " + "; ".join(f"{component_label(c)} = {units.get(c, '')}" for c in comps))
    signals = [c for c in top.columns if isinstance(c, str) and c.startswith("signal__")]
    if signals:  # vulnerability signals: shown beside the score, never part of it
        print("vulnerability signals (events in the period, not scored):\n"
              + top[["name", *signals]].rename(columns=lambda c: c.removeprefix("signal__"))
              .round(1).to_string())
    if why:
        print(why)
    for path in written:
        print(f"wrote {path}")
    if saved:
        print(f"saved site {saved['name']!r} (site_id {saved['site_id']})")
    return 0


def _write(ranked: gpd.GeoDataFrame, args: argparse.Namespace, period: tuple,
           extra: dict[str, object]) -> list[Path]:
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
    meta = {**extra, "scale": args.scale, "period": list(period),
            "weights": ranked.attrs["weights"], "components": ranked.attrs["components"],
            "target_km2": args.target_km2, "resolution": args.resolution}
    stem.with_suffix(".json").write_text(json.dumps(meta, indent=2))
    drops = args.out / f"site_ranking_{args.scale}_drops.csv"
    pd.DataFrame(extra["rows"]["dropped"] or [], columns=["stage", "reason", "rows"]).assign(
        rows_read=extra["rows"]["rows_read"], rows_kept=extra["rows"]["rows_kept"]
    ).to_csv(drops, index=False)
    return [*paths, stem.with_suffix(".json"), drops]


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

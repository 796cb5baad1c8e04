"""What ``geosoc profile`` writes, each as the acting role may see it.

Layers, tables, the row account, the per-agency contribution and the partner count tables.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from geosoc.hotspots.profile_result import LocalityProfile
    from geosoc.ingest.accounting import RowAccount


def write_profile(profile: LocalityProfile, out: Path, fmt: str, head: dict[str, object],
           account: RowAccount, anchor: str | None = None,
           contribution: pd.DataFrame | None = None) -> list[Path]:
    """Write layers, CSVs, drops, the per-agency contribution and the summary."""
    import pandas as pd

    from geosoc.assets.files import neutralise_formulas
    from geosoc.hotspots.concentration import lorenz_curve

    out.mkdir(parents=True, exist_ok=True)
    layers = {"cells": profile.cells, **{f"areas_{k}": v for k, v in profile.areas.items()}}
    written = []
    for name, frame in layers.items():
        if fmt == "gpkg":
            path = out / "profile.gpkg"
            frame.to_file(path, layer=name, driver="GPKG")
        else:
            path = out / f"{name}.parquet"
            frame.to_parquet(path)
        written.append(path)
        table = neutralise_formulas(pd.DataFrame(frame.drop(columns="geometry")).reset_index())
        table.to_csv(out / f"{name}.csv", index=False)  # the area-code index neutralised too
        written.append(out / f"{name}.csv")
    tables = {"monthly": profile.monthly, "hotspot_counts": profile.hotspot_counts,
              "lorenz": lorenz_curve(profile.cells["harm"].fillna(0.0))}
    if profile.emerging is not None:
        tables["emerging"] = profile.emerging
    if contribution is not None:
        tables["contribution"] = contribution.set_index("source")
    for name, table in tables.items():
        keep_index = name != "monthly"
        frame = pd.DataFrame(table).reset_index() if keep_index else pd.DataFrame(table)
        neutralise_formulas(frame).to_csv(out / f"{name}.csv", index=False)
        written.append(out / f"{name}.csv")
    written.append(account.write_csv(out / "drops.csv"))
    summary = {**head, **profile.summary(), "rows": account.to_dict()}
    if anchor:
        summary["audit_anchor"] = anchor
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    written.append(out / "summary.json")
    return sorted(set(written))


def months_asked(args: argparse.Namespace, incidents: pd.DataFrame | None
            ) -> tuple[str, str] | None:
    """Return the month range asked for (open ends from the data), or None for all months."""
    if not (args.start or args.end) or incidents is None:
        return None
    return (args.start or str(incidents["month"].min()),
            args.end or str(incidents["month"].max()))


def partner_and_contribution(args: argparse.Namespace, incidents: pd.DataFrame | None,
                              areas: dict[str, gpd.GeoDataFrame], data: dict[str, object],
                              role: str) -> tuple[pd.DataFrame | None, object | None, object]:
    """Return the per-agency contribution, the partner counts and a writer of their tables.

    Both are what ``role`` may see: the contribution is disclosed, partner tables are
    written disclosed for the role (:func:`geosoc.cli.partner_outputs.write_partner_tables`).
    """
    from geosoc.cli.partner_args import partner_counts_for
    from geosoc.cli.partner_outputs import write_partner_tables
    from geosoc.disclosure.contribution import disclosed_contribution

    study = data.get("study")
    partner = None if study is None else partner_counts_for(
        study, args, role=role, weights_path=str(args.weights) if args.weights else None)
    contribution = None if incidents is None else disclosed_contribution(
        incidents, role, owners=data.get("owners"), partner_counts=partner,
        months=months_asked(args, incidents))

    def partner_files(folder: Path) -> list[Path]:
        if partner is None:
            return []
        return write_partner_tables(partner, folder, role=role,
                                    months=months_asked(args, incidents),
                                    resolution=args.resolution, method=args.apportion,
                                    population=getattr(study, "postcodes", None),
                                    study_area=areas["ward"] if "ward" in areas
                                    else next(iter(areas.values())))

    return contribution, partner, partner_files

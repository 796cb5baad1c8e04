"""Partner area-count tables written by ``geosoc profile`` (disclosed for the user's role).

- ``partner_totals.csv``: events and harm (days) per source with its treatment;
- ``partner_<source>_areas.csv``: per shared area (LSOA/ward; wards for the public);
- ``partner_<source>_cells.csv``: apportioned to H3 cells (``method`` column names how),
  at the profile resolution, coarsened to the role's finest;
- ``vulnerability_signals.csv``: events per signal category (never harm).

Every partner/public figure comes from :mod:`geosoc.disclosure.count_tables`.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from geosoc.aggregate.apportion import method_label
from geosoc.aggregate.cells import cover_area
from geosoc.aggregate.count_layers import PartnerCounts
from geosoc.assets.files import neutralise_formulas
from geosoc.disclosure.count_tables import (
    disclosed_count_areas,
    disclosed_count_cells,
    disclosed_count_totals,
    disclosed_group_totals,
)
from geosoc.disclosure.rules import months_for, rules_for
from geosoc.schema import CATEGORY, SOURCE


def _csv(frame: pd.DataFrame, path: Path) -> Path:
    table = pd.DataFrame(frame.drop(columns="geometry", errors="ignore")).reset_index()
    neutralise_formulas(table).to_csv(path, index=False)
    return path


def write_partner_tables(bundle: PartnerCounts | None, out: Path, *, role: str,
                         months: tuple[str, str] | None, resolution: int, method: str,
                         population: pd.DataFrame | None,
                         study_area: gpd.GeoDataFrame) -> list[Path]:
    """Write the partner tables into ``out``; return the files (none without partner data)."""
    if bundle is None:
        return []
    written = [_csv(disclosed_count_totals(bundle, role, months=months),
                    out / "partner_totals.csv")]
    resolution = min(resolution, rules_for(role).finest_h3_resolution)
    cover = cover_area(study_area, resolution)
    for source in bundle.sources():  # a handful of sources
        written.append(_csv(disclosed_count_areas(bundle, source, role, months=months),
                            out / f"partner_{source}_areas.csv"))
        if bundle.treatment[source] != "signal":
            cells = disclosed_count_cells(bundle, source, role, cover=cover, method=method,
                                          population=population, months=months)
            written.append(_csv(cells.assign(method=method_label(method)),
                                out / f"partner_{source}_cells.csv"))
    signals = bundle.sources("signal")
    if signals:
        rows = bundle.rows(sources=signals, months=months_for(role, months) or None)
        per = disclosed_group_totals(rows, role, by=[SOURCE, CATEGORY]).drop(columns="harm")
        written.append(_csv(per.set_index(SOURCE), out / "vulnerability_signals.csv"))
    return written


def partner_lines(bundle: PartnerCounts | None, role: str,
                  months: tuple[str, str] | None) -> list[str]:
    """Return one printed line per partner source (disclosed for ``role``)."""
    if bundle is None:
        return []
    totals = disclosed_count_totals(bundle, role, months=months)
    return [f"  partner {source} ({row['treatment']}): "
            + ("suppressed" if pd.isna(row["count"]) else f"{row['count']:,.0f} events")
            + ("" if row["treatment"] == "signal" or pd.isna(row["harm"])
               else f", {row['harm']:,.0f} days")
            for source, row in totals.iterrows()]


def write_partner_phases(bundle: PartnerCounts | None, *, site: object, rings: object,
                         control: object, plan: object, out: Path) -> tuple[list[Path],
                                                                          list[str]]:
    """Write ``partner_phases.csv`` and ``partner_displacement.csv`` (analysts).

    Returns the files and one printed line per source and phase (count change per month).
    """
    if bundle is None:
        return [], []
    from geosoc.phases.partner_phases import partner_phase_report

    report = partner_phase_report(bundle, site, rings, control, plan)
    written = [_csv(report.change, out / "partner_phases.csv")]
    if not report.displacement.empty:
        written.append(_csv(report.displacement, out / "partner_displacement.csv"))
    totals = report.change[report.change["category"] == "all"] if len(report.change) else \
        report.change
    lines = [f"  partner {row.source} ({row.treatment}), {row.phase}: {row.reading}"
             for row in totals.itertuples() if row.phase != "baseline"]
    return written, lines + [f"  note: {n}" for n in report.notes]

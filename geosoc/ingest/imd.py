"""Read deprivation (IMD 2019) and population per LSOA.

IMD: File 7 or the GLA extract. Population: ONS estimates as published (``.xlsx`` with cover
sheets and title rows, or CSV).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from geosoc.errors import Problem, SchemaError
from geosoc.ingest.checks import FILE, ROW, numeric, row_problems
from geosoc.ingest.files import read_csv_checked
from geosoc.ingest.population import read_population
from geosoc.ingest.report import Ingested, IngestReport

#: Patterns (lower-case, matched at the start of the header) for each output column,
#: in preference order: MHCLG File 7 / GLA names, then plain contract names.
_PATTERNS = {
    "lsoa_code": (r"lsoa code", r"lsoa_code$", r"lsoa11cd$", r"lsoa21cd$"),
    "imd_score": (r"index of multiple deprivation \(imd\) score", r"imd_score$", r"imd score"),
    "imd_rank": (r"index of multiple deprivation \(imd\) rank", r"imd_rank$", r"imd rank"),
    "imd_decile": (r"index of multiple deprivation \(imd\) decile", r"imd_decile$",
                   r"imd decile"),
    "population": (r"total population", r"population$"),
}


#: The seven IMD 2019 domains: output prefix -> the File 7 column name's start.
DOMAINS = {
    "income": "Income", "employment": "Employment",
    "education": "Education, Skills and Training",
    "health": "Health Deprivation and Disability", "crime": "Crime",
    "barriers": "Barriers to Housing and Services", "living_environment": "Living Environment",
}
#: Domain measures read when present (``<domain>_score``, ``_rank``, ``_decile``).
DOMAIN_MEASURES = ("score", "rank", "decile")


def _domain_columns(columns: list[str]) -> dict[str, str]:
    """Map ``<domain>_<measure>`` to the file's column, for the domains the file has."""
    found = {}
    for key, title in DOMAINS.items():
        lead = re.sub(r"\s+", " ", title.lower())
        for measure in DOMAIN_MEASURES:
            for col in columns:
                text = re.sub(r"\s+", " ", col.strip().lower())
                if re.match(rf"{re.escape(lead)} {measure}\b", text) or text == f"{key}_{measure}":
                    found[f"{key}_{measure}"] = col
                    break
    return found


def _find(columns: list[str], patterns: tuple[str, ...]) -> str | None:
    for pattern in patterns:
        for col in columns:
            if re.match(pattern, col.strip().lower()):
                return col
    return None


def read_imd(path: str | Path, *, delimiter: str | None = None, sheet: str | None = None,
             population: str | Path | None = None) -> Ingested:
    """Read IMD score, rank and decile per LSOA.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV in the MHCLG File 7 / GLA "IMD 2019" layout (``LSOA code (2011)``,
        ``Index of Multiple Deprivation (IMD) Score`` ...) or with plain columns
        ``lsoa_code, imd_score, imd_rank, imd_decile``.

    Returns
    -------
    Ingested
        ``data``: DataFrame indexed by ``lsoa_code`` with ``imd_score`` (float64),
        ``imd_rank`` (int64, 1 = most deprived in England), ``imd_decile`` (int64, 1-10),
        for each of the seven domains the file has (:data:`DOMAINS`: income, employment,
        education, health, crime, barriers, living_environment) ``<domain>_score``,
        ``<domain>_rank`` and ``<domain>_decile`` (Int64), and ``population`` when the file
        has a total-population column or a ``population`` file is given.
    delimiter : str, optional
        CSV field delimiter (default comma, or tab when detected).
    sheet : str, optional
        Sheet of an ``.xlsx`` workbook.
    population : str or pathlib.Path, optional
        An LSOA population file (:func:`read_population`) joined on the LSOA code; LSOAs
        it lacks get no population (noted).

    Raises
    ------
    SchemaError
        Missing columns, non-numeric values, deciles outside 1-10, duplicate LSOA codes.
    """
    path = Path(path)
    report = IngestReport(source=str(path), kind="imd")
    raw = read_csv_checked(path, notes=report.notes, delimiter=delimiter, sheet=sheet)
    columns = list(raw.columns)
    found = {name: _find(columns, pats) for name, pats in _PATTERNS.items()}
    missing = [n for n in ("lsoa_code", "imd_score", "imd_rank", "imd_decile") if not found[n]]
    if missing:
        raise SchemaError(f"{path.name}: not an IMD file", [Problem(
            f"no column for '{n}'; expected a File 7 name such as "
            f"'{_PATTERNS[n][0].replace(chr(92), '')}' or '{n}'", file=str(path), row=1,
            column=n, fix="use the IMD 2019 File 7 CSV, or rename the column") for n in missing])
    raw[FILE] = str(path)
    raw[ROW] = np.arange(2, len(raw) + 2)
    report.rows_read = len(raw)
    values, problems = {}, []
    for name in ("imd_score", "imd_rank", "imd_decile", "population"):
        col = found[name]
        if col is None:
            continue
        number, blank, bad = numeric(raw[col].str.replace(",", "", regex=False))
        values[name] = number
        problems += row_problems(raw, bad | blank, column=col, value_column=col,
                                 message="'{value}' is not a number",
                                 fix="re-export the IMD file; values must be plain numbers")
    domains = _domain_columns(columns)
    for name, col in domains.items():
        number, blank, bad = numeric(raw[col].str.replace(",", "", regex=False))
        values[name] = number
        problems += row_problems(raw, bad, column=col, value_column=col,
                                 message="'{value}' is not a number",
                                 fix="re-export the IMD file; values must be plain numbers")
    decile = values["imd_decile"]
    problems += row_problems(raw, ~np.isnan(decile) & ~np.isin(decile, np.arange(1, 11)),
                             column=found["imd_decile"], value_column=found["imd_decile"],
                             message="decile {value} is not a whole number from 1 to 10",
                             fix="check the decile column is the IMD decile")
    codes = raw[found["lsoa_code"]].str.strip()
    problems += row_problems(raw, codes.duplicated(keep=False).to_numpy(),
                             column=found["lsoa_code"], value_column=found["lsoa_code"],
                             message="LSOA {value} appears more than once",
                             fix="keep one row per LSOA")
    if problems:
        raise SchemaError(f"{path.name}: {len(problems)} problem(s) in IMD data", problems)
    out = pd.DataFrame({
        "imd_score": values["imd_score"],
        "imd_rank": values["imd_rank"].astype("int64"),
        "imd_decile": decile.astype("int64"),
    }, index=pd.Index(codes.array, name="lsoa_code"))
    for name in domains:
        out[name] = (pd.array(values[name].round(), dtype="Int64")
                     if not name.endswith("_score") else values[name])
    if domains:
        read = sorted({n.rsplit("_", 1)[0] for n in domains})
        report.note(f"IMD domains read: {', '.join(read)}")
    if "population" in values:
        out["population"] = values["population"].astype("int64")
    if population is not None:
        pop = read_population(population)
        report.notes += pop.report.notes
        joined = pop.data["population"].reindex(out.index.array)
        joined.index = out.index
        if joined.isna().any():
            report.note(f"{int(joined.isna().sum()):,} LSOA(s) have no population in "
                        f"{Path(population).name}")
        out["population"] = joined.astype("Int64")
    report.rows_kept = len(out)
    return Ingested(out, report)

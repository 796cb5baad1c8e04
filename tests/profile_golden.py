"""Golden outputs of ``geosoc profile``, recorded from main before the lean/engine refactor.

The cases run the CLI on the demo town and on the real City of London police.uk files in
``../shared/data`` (with wards and LSOAs, and without areas, i.e. the incident hull as study
area, over a month range with quarterly emerging hot spots). The CSV tables and
``summary.json`` of each run were stored in ``tests/golden/profile/<case>/`` by running this
module (``python tests/profile_golden.py``) on the code of main at commit 80d1fa0.

:func:`compare_outputs` checks a new run against them: every id, count, bin, class, label and
the row account exactly; floating point columns to a relative 1e-9. The recorded outputs
summed harm in float64 row by row (``48925.399999999965``); the new path sums exact integer
micro-days (``48925.4``), so floats may differ in the last bits and nothing else may.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

GOLDEN = Path(__file__).resolve().parent / "golden" / "profile"
#: City rows kept for the no-areas case (the police.uk 1st-99th percentile box: far-away
#: snapped points would make the incident hull, and so the cover, millions of cells).
CITY_BOX = (-0.1129, 51.5083, -0.0734, 51.5228)
#: Keys of summary.json that name paths on this machine (not results).
PATH_KEYS = ("data", "files")


def city_box_csv(city: Path, out: Path) -> Path:
    """Write the City crime rows inside :data:`CITY_BOX` (and the unlocated rows) to one CSV."""
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False)
              for p in sorted((city / "crime").rglob("*-street.csv"))]
    raw = pd.concat(frames, ignore_index=True)
    lon = pd.to_numeric(raw["Longitude"], errors="coerce")
    lat = pd.to_numeric(raw["Latitude"], errors="coerce")
    x0, y0, x1, y1 = CITY_BOX
    keep = lon.isna() | (lon.between(x0, x1) & lat.between(y0, y1))
    out.parent.mkdir(parents=True, exist_ok=True)
    raw[keep.to_numpy()].to_csv(out, index=False)
    return out


def case_args(case: str, city: Path | None, work: Path) -> list[str]:
    """Command-line arguments (after ``geosoc``) of one golden case, writing to ``work/out``."""
    out = ["--out", str(work / "out"), "--format", "parquet", "--json"]
    if case == "demo":
        return ["profile", "--demo", *out]
    assert city is not None
    if case == "city_areas":
        bounds = city / "boundaries"
        return ["profile", str(city / "crime"),
                "--areas", f"ward={bounds / 'wards_by_lad' / 'E09000001.json'}",
                "--areas", f"lsoa={bounds / 'lsoa_by_lad' / 'E09000001.json'}", *out]
    if case == "city_hull":
        csv = city_box_csv(city, work / "city_box.csv")
        return ["profile", str(csv), "--emerging", "Q", "--from", "2024-03", "--to", "2025-10",
                *out]
    raise ValueError(case)


CASES = ("demo", "city_areas", "city_hull")


def _same_value(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(a)
                                                                  and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_value(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _compare_table(new: pd.DataFrame, old: pd.DataFrame, name: str) -> list[str]:
    problems = []
    # columns added since the recording (e.g. rates per 1,000 residents) are allowed; every
    # recorded column must still be there, in order, with the same rows and values
    kept = [c for c in new.columns if c in set(old.columns)]
    if kept != list(old.columns) or len(new) != len(old):
        return [f"{name}: columns/rows {list(new.columns)} x {len(new)} != "
                f"{list(old.columns)} x {len(old)}"]
    for col in old.columns:
        a, b = new[col], old[col]
        if pd.api.types.is_float_dtype(b) and pd.api.types.is_float_dtype(a):
            ok = np.isclose(a.to_numpy(), b.to_numpy(), rtol=1e-9, atol=1e-12, equal_nan=True)
        else:
            ok = (a.astype(str).to_numpy() == b.astype(str).to_numpy())
        if not ok.all():
            first = int(np.flatnonzero(~ok)[0])
            problems.append(f"{name}.{col}: {int((~ok).sum())} rows differ, first row {first}: "
                            f"{a.iloc[first]!r} != {b.iloc[first]!r}")
    return problems


def compare_outputs(out: Path, golden: Path) -> list[str]:
    """Differences between a run's folder and the golden folder (empty list: identical).

    Every recorded file, column and summary key must be reproduced exactly; outputs added
    after the recording (the per-agency contribution, partner count tables, rates) are not
    part of the comparison.
    """
    problems = []
    names = sorted(p.name for p in golden.glob("*.csv"))
    made = sorted(p.name for p in out.glob("*.csv"))
    if not set(names) <= set(made):
        problems.append(f"CSV files {made} miss golden {sorted(set(names) - set(made))}")
    for name in set(names) & set(made):
        problems += _compare_table(pd.read_csv(out / name, keep_default_na=False,
                                               na_values=[""]),
                                   pd.read_csv(golden / name, keep_default_na=False,
                                               na_values=[""]), name)
    new = json.loads((out / "summary.json").read_text())
    old = json.loads((golden / "summary.json").read_text())
    for key in sorted(old):
        if key in PATH_KEYS:
            continue
        if not _same_value(new.get(key), old.get(key)):
            problems.append(f"summary.json[{key!r}]: {new.get(key)!r} != {old.get(key)!r}")
    return problems


def record(city: Path, work: Path) -> None:
    """Run every case with the geosoc on ``sys.path`` and store its outputs as golden."""
    from geosoc.cli import main

    for case in CASES:
        folder = work / case
        assert main(case_args(case, city, folder)) == 0
        target = GOLDEN / case
        target.mkdir(parents=True, exist_ok=True)
        for path in [*(folder / "out").glob("*.csv"), folder / "out" / "summary.json"]:
            (target / path.name).write_bytes(path.read_bytes())
        print(f"recorded {case}: {len(list(target.iterdir()))} files")


if __name__ == "__main__":
    import tempfile

    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as temp:
        record(root.parent / "shared" / "data" / "city-of-london", Path(temp))
    sys.exit(0)

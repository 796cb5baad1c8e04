"""``geosoc profile`` gives the outputs recorded from main before the lean/engine refactor.

The golden folders (``tests/golden/profile``) hold the CSV tables and summary of main's CLI
on the demo town and on real City of London police.uk files (see
``tests/profile_golden.py``): ids, counts, bins, classes and the row account must match
exactly, floats to 1e-9 relative (main summed harm in float64 row by row).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from profile_golden import CASES, GOLDEN, case_args, compare_outputs

from geosoc.cli import main


@pytest.mark.parametrize("case", CASES)
def test_profile_matches_the_outputs_recorded_from_main(case: str, request: pytest.FixtureRequest,
                                                        tmp_path: Path, capsys) -> None:
    city = None if case == "demo" else request.getfixturevalue("city_of_london")
    assert main(case_args(case, city, tmp_path)) == 0
    capsys.readouterr()
    assert compare_outputs(tmp_path / "out", GOLDEN / case) == []

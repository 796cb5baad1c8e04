"""Apportioning on real geographies: City of London and its six neighbouring boroughs' LSOAs
(2011) to H3 resolution-9 cells, by area and by Code-Point Open postcode share.

Skips with a visible reason when ``../shared/data`` is absent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geosoc.aggregate.apportion import apportion, apportion_weights
from geosoc.aggregate.cells import cover_area
from geosoc.ingest import read_boundaries, read_postcodes

LADS = ("E09000001", "E09000019", "E09000030")


@pytest.fixture(scope="module")
def real(city_of_london):
    folder = city_of_london / "boundaries" / "lsoa_by_lad"
    frames = [read_boundaries(folder / f"{lad}.json", kind="lsoa").data for lad in LADS
              if (folder / f"{lad}.json").is_file()]
    if not frames:
        pytest.skip(f"no LSOA boundaries under {folder}")
    lsoas = pd.concat(frames)
    postcodes = read_postcodes(city_of_london / "postcodes" / "codepoint_open").data
    return lsoas, postcodes


@pytest.mark.parametrize("method", ["area", "population"])
def test_real_lsoas_apportioned_to_h3_conserve_every_total(real, method):
    lsoas, postcodes = real
    cover = cover_area(lsoas, 9)
    shares = apportion_weights(lsoas, cover, method=method, population=postcodes)
    assert shares.attrs["unplaced"] == []
    per_area = shares.groupby("area_code")["share"].sum()
    assert len(per_area) == len(lsoas)
    assert np.allclose(per_area.to_numpy(), 1.0, atol=1e-9)
    rng = np.random.default_rng(7)
    values = pd.DataFrame({"count": rng.integers(0, 400, len(lsoas)).astype(float)},
                          index=lsoas.index)
    exact = apportion(values, shares, integer=True)
    assert exact["count"].sum() == values["count"].sum()
    assert (exact["count"] == np.round(exact["count"])).all()
    if method == "population":  # most LSOAs hold postcodes: shares follow them, not area
        assert (shares["method_used"] == "population").mean() > 0.9

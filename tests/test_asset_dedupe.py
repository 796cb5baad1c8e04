"""De-duplication: same external id, or same normalised name within 50 m (EPSG:27700)."""

from __future__ import annotations

import pandas as pd
import pytest
from pyproj import Transformer

from geosoc.assets.dedupe import drop_duplicates, find_duplicates, normalise_name

TO_LONLAT = Transformer.from_crs(27700, 4326, always_xy=True)


def _at(name: str, east: float, north: float, external_id: str = "",
        asset_id: str = "") -> dict[str, object]:
    lon, lat = TO_LONLAT.transform(east, north)
    return {"asset_id": asset_id, "name": name, "lon": lon, "lat": lat,
            "external_id": external_id}


REGISTER = pd.DataFrame([_at("The Hub Youth Club Ltd", 532000, 181000, asset_id="A1"),
                         _at("Food Bank", 533000, 181000, "charity:1", asset_id="A2")])


def test_names_are_normalised() -> None:
    names = pd.Series(["The Hub Youth Club Ltd.", "HUB  youth-club", "St Mark's & Co CIO",
                       None])
    assert normalise_name(names).tolist() == ["hub youth club", "hub youth club",
                                              "st mark s and co", ""]


@pytest.mark.parametrize(("east", "matched"), [(532049.0, True), (532051.0, False)])
def test_same_name_matches_only_within_50_m(east: float, matched: bool) -> None:
    incoming = pd.DataFrame([_at("hub youth club", east, 181000)])
    found = find_duplicates(incoming, REGISTER)
    assert (len(found) == 1) is matched
    if matched:
        assert found.iloc[0]["asset_id"] == "A1"
        assert found.iloc[0]["distance_m"] == pytest.approx(49.0, abs=0.01)


def test_same_external_id_matches_at_any_distance_and_names_differ() -> None:
    incoming = pd.DataFrame([_at("Renamed pantry", 540000, 190000, "charity:1"),
                             _at("Other", 533000, 181000, "charity:2")])
    found = find_duplicates(incoming, REGISTER, rows=[10, 11])
    assert found[["record", "row", "asset_id", "reason"]].values.tolist() == [
        [0, 10, "A2", "same external id"]]
    assert drop_duplicates(incoming, found)["name"].tolist() == ["Other"]


def test_repeats_inside_the_file_are_listed_once() -> None:
    incoming = pd.DataFrame([_at("New Club", 531000, 180000),
                             _at("new club", 531010, 180000),
                             _at("New Club", 535000, 180000)])
    found = find_duplicates(incoming, REGISTER)
    assert found[["row", "asset_id", "reason"]].values.tolist() == [
        [3, "row 2", "same name within distance (repeated in the file)"]]
    assert len(drop_duplicates(incoming, found)) == 2


def test_nothing_to_compare_gives_an_empty_table() -> None:
    found = find_duplicates(pd.DataFrame(), REGISTER)
    assert found.empty and "distance_m" in found.columns

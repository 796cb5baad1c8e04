"""Harm weights: the default CCHI table, validation and application."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geosoc.errors import InputFileError, SchemaError
from geosoc.harm import apply_harm_weights, load_harm_weights
from geosoc.schema import POLICE_ACTIVITY_CATEGORIES, POLICEUK_CRIME_TYPES

# DOMAIN.md section 4 (CCHI 2026 subgroup medians, days)
PUBLISHED = {
    "Robbery": 365, "Possession of weapons": 274, "Burglary": 245,
    "Violence and sexual offences": 194, "Criminal damage and arson": 11, "Other crime": 10,
    "Public order": 7.5, "Vehicle crime": 5, "Drugs": 3.7, "Other theft": 2,
    "Theft from the person": 2, "Bicycle theft": 2, "Shoplifting": 1,
    "Anti-social behaviour": 1,
}


def incidents(pairs: list[tuple[str, str]], index: list[int] | None = None) -> pd.DataFrame:
    return pd.DataFrame(pairs, columns=["source", "category"], index=index)


def test_default_table_matches_published_weights() -> None:
    table = load_harm_weights()
    police = table[table["source"] == "police"].set_index("category")
    assert sorted(police.index) == sorted(POLICEUK_CRIME_TYPES)
    assert police["weight"].to_dict() == PUBLISHED
    assert sorted(police.index[police["police_activity"]]) == sorted(POLICE_ACTIVITY_CATEGORIES)
    assert table["weight"].dtype == "float64" and table["police_activity"].dtype == bool
    assert (table["note"].str.len() > 0).all()
    partners = table[table["source"] != "police"].set_index(["source", "category"])["weight"]
    assert partners[("fire", "Deliberate fire")] == 11
    assert partners[("health_ae", "Assault attendance")] == 194
    assert partners[("council_asb", "*")] == 1


def test_apply_weights_keeps_index_and_input() -> None:
    frame = incidents([("police", "Robbery"), ("police", "Drugs"), ("police", "Shoplifting")],
                      index=[10, 20, 30])
    before = frame.copy()
    out = apply_harm_weights(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert list(out.index) == [10, 20, 30]
    assert out["harm"].tolist() == [365.0, 3.7, 1.0]
    assert out["harm"].dtype == "float64"
    assert out["police_activity"].tolist() == [False, True, False]


def test_geodataframe_stays_geodataframe() -> None:
    frame = gpd.GeoDataFrame(incidents([("police", "Burglary")]),
                             geometry=gpd.points_from_xy([-0.1], [51.5]), crs="EPSG:4326")
    out = apply_harm_weights(frame)
    assert isinstance(out, gpd.GeoDataFrame) and out.crs == frame.crs
    assert out["harm"].iloc[0] == 245


def test_source_wildcard_is_the_fallback() -> None:
    out = apply_harm_weights(incidents([("council_asb", "Noise"), ("council_asb", "Graffiti")]))
    assert out["harm"].tolist() == [1.0, 1.0]


def test_unknown_categories_listed_with_counts_and_fix() -> None:
    frame = incidents([("police", "Robbery"), ("police", "Hoax call"), ("police", "Hoax call"),
                       ("housing", "Damp")])
    with pytest.raises(SchemaError) as info:
        apply_harm_weights(frame)
    text = str(info.value)
    assert "'police', category 'Hoax call' (2 rows)" in text
    assert "'housing', category 'Damp' (1 rows)" in text
    assert "add a row to the harm weights table" in text and "unknown=" in text
    assert len(info.value.problems) == 2


def test_unknown_default_is_used_not_zero() -> None:
    out = apply_harm_weights(incidents([("housing", "Damp"), ("police", "Burglary")]),
                             unknown=2.5)
    assert out["harm"].tolist() == [2.5, 245.0]
    assert out["police_activity"].tolist() == [False, False]


def test_missing_category_value_is_unknown_not_dropped() -> None:
    frame = incidents([("police", "Robbery")])
    frame.loc[1] = ["police", None]
    with pytest.raises(SchemaError, match="<missing>"):
        apply_harm_weights(frame)


def test_schemes_and_asb_weight() -> None:
    frame = incidents([("police", "Robbery"), ("police", "Anti-social behaviour"),
                       ("council_asb", "Noise")])
    assert apply_harm_weights(frame, scheme="count")["harm"].tolist() == [1.0, 1.0, 1.0]
    np.testing.assert_allclose(apply_harm_weights(frame, scheme="log_harm")["harm"],
                               np.log1p([365, 1, 1]))
    assert apply_harm_weights(frame, asb_weight=0)["harm"].tolist() == [365.0, 0.0, 0.0]
    assert apply_harm_weights(frame, scheme="count", asb_weight=0)["harm"].tolist() == [1, 0, 0]
    with pytest.raises(SchemaError, match="scheme"):
        apply_harm_weights(frame, scheme="days")  # type: ignore[arg-type]


def test_count_scheme_ignores_unknown_categories() -> None:
    out = apply_harm_weights(incidents([("housing", "Damp")]), scheme="count")
    assert out["harm"].tolist() == [1.0]


def test_user_table_from_frame_and_file(tmp_path) -> None:
    table = pd.DataFrame({"source": ["police", "police"], "category": ["Robbery", "*"],
                          "weight": [100, 3]})
    out = apply_harm_weights(incidents([("police", "Robbery"), ("police", "Drugs")]), table)
    assert out["harm"].tolist() == [100.0, 3.0]
    path = tmp_path / "w.csv"
    table.to_csv(path, index=False)
    loaded = load_harm_weights(path)
    assert loaded["police_activity"].tolist() == [False, False]
    out = apply_harm_weights(incidents([("police", "Drugs")]), str(path))
    assert out["harm"].tolist() == [3.0]


def test_bad_table_reports_every_row_and_column(tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("source,category,weight,police_activity,note\n"
                    "police,Robbery,365,false,ok\n"
                    "police,Burglary,-4,false,negative\n"
                    "police,Drugs,lots,true,text\n"
                    "police,Robbery,300,maybe,duplicate and bad flag\n"
                    ",Shoplifting,1,false,no source\n")
    with pytest.raises(SchemaError) as info:
        load_harm_weights(path)
    found = {(p.row, p.column) for p in info.value.problems}
    assert found == {(3, "weight"), (4, "weight"), (5, "police_activity"), (5, "category"),
                     (6, "source")}
    assert all(p.file == str(path) for p in info.value.problems)


def test_missing_columns_and_files(tmp_path) -> None:
    path = tmp_path / "w.csv"
    path.write_text("source,category\npolice,Robbery\n")
    with pytest.raises(SchemaError, match="weight"):
        load_harm_weights(path)
    with pytest.raises(InputFileError):
        load_harm_weights(tmp_path / "absent.csv")
    with pytest.raises(SchemaError, match="source"):
        apply_harm_weights(pd.DataFrame({"category": ["Robbery"]}))

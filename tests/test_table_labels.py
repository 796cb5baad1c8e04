"""The one display-table formatter: headings in words with units, codes as labels, no repeats."""

from __future__ import annotations

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely

from geosoc.phases.plan import PhasePlan, open_ended_steps
from geosoc.report.table_labels import (
    cell_names,
    column_label,
    display_table,
    short_cell_id,
    short_unit,
    source_label,
)


def _hexagon(cell: str) -> shapely.Polygon:
    return shapely.Polygon([(lon, lat) for lat, lon in h3.cell_to_boundary(cell)])


@pytest.fixture
def cells() -> gpd.GeoDataFrame:
    """Three resolution-9 cells: two in a west ward, one in an east ward."""
    centre = h3.latlng_to_cell(52.98, -2.05, 9)
    ring = [centre, *sorted(h3.grid_ring(centre, 3))[:2]]
    frame = gpd.GeoDataFrame(
        {"count": [12, 7, 3], "harm": [900.0, 450.5, 20.0],
         "shown": [900.0, 450.5, 20.0], "hotspot_bin": [3, 0, -2]},
        index=pd.Index(ring, name="h3"), geometry=[_hexagon(c) for c in ring], crs="EPSG:4326")
    return frame


def test_headings_are_words_with_units_and_shown_once(cells) -> None:
    table = display_table(cells, ("count", "harm", "shown", "hotspot_bin"),
                          unit="days (CCHI; ASB at a nominal weight, not a CCHI offence)")
    # "shown" repeats "harm" (every layer shown): one column, named once, unit without caveat
    assert list(table.columns) == ["Events", "Harm (days, CCHI)", "Gi* hot spot (FDR-corrected)"]
    assert table["Gi* hot spot (FDR-corrected)"].tolist() == [
        "Hot spot, 99% confidence", "Not significant", "Cold spot, 95% confidence"]
    assert table["Harm (days, CCHI)"].tolist() == [900.0, 450.0, 20.0]  # whole days


def test_a_layer_subset_keeps_both_harm_columns(cells) -> None:
    subset = cells.assign(shown=[800.0, 400.0, 0.0])
    table = display_table(subset, ("harm", "shown"))
    assert list(table.columns) == ["Harm (days, CCHI)",
                                   "Harm in the layers shown (days, CCHI)"]


def test_h3_cells_are_named_by_their_ward(cells) -> None:
    centres = shapely.centroid(cells.geometry.to_numpy())
    west = shapely.box(-3, 50, float(shapely.get_x(centres[0])) + 1e-4, 55)
    east = shapely.box(float(shapely.get_x(centres[0])) + 1e-4, 50, 0, 55)
    wards = gpd.GeoDataFrame({"name": ["Westfield", "Eastgate"]}, geometry=[west, east],
                             crs="EPSG:4326")
    names = cell_names(cells, wards)
    assert names.index.equals(cells.index)
    short = short_cell_id(cells.index)
    assert names.iloc[0] == f"Cell {short[0]} in Westfield"
    expected = ["Westfield" if shapely.get_x(c) < shapely.get_x(centres[0]) + 1e-4
                else "Eastgate" for c in centres]
    assert [n.split(" in ")[1] for n in names] == expected
    assert len(set(short)) == 3 and all(len(s) == 5 for s in short)
    outside = cell_names(cells, wards.iloc[:0])
    assert outside.str.startswith("Cell ").all() and not outside.str.contains(" in ").any()
    far = gpd.GeoDataFrame({"name": ["Elsewhere"]}, geometry=[shapely.box(10, 10, 11, 11)],
                           crs="EPSG:4326")
    assert cell_names(cells, far).str.endswith("(outside the wards)").all()


def test_sources_and_per_source_columns_read_as_words() -> None:
    assert source_label("council_asb") == "Council ASB reports"
    assert source_label("youth_trust") == "Youth trust"
    assert column_label("harm__police activity") == \
        "Harm from Police activity (drugs, weapons found) (days, CCHI)"
    assert column_label("count__fire") == "Events from Fire service"
    assert column_label("police_harm__norm") == "Police harm (days, CCHI), scaled 0 to 1"
    assert column_label("some_new_column") == "Some new column"
    assert column_label("nearest__youth") == "Nearest youth asset"
    assert column_label("distance_m__youth") == "Distance to the nearest youth asset (m)"
    assert column_label("partner_harm__council_asb") == \
        "Partner harm from Council ASB reports (days, CCHI)"
    assert "__" not in column_label("share__faith_groups")
    assert short_unit("ASB weight units (not days: ASB is not a CCHI offence)") == \
        "ASB weight units, not days: ASB is not a CCHI offence"


def test_codes_periods_and_flags_become_text_and_input_is_untouched() -> None:
    frame = pd.DataFrame({"month": pd.period_range("2024-01", periods=2, freq="M"),
                          "source": ["police", "health_ae"], "alert": [True, False],
                          "lisa_cluster": ["HH", "ns"], "rr_p": [0.0123456, 0.5],
                          "harm_pct_change": [-12.3456, 4.0]})
    before = frame.copy()
    table = display_table(frame, ("month", "source", "alert", "lisa_cluster", "rr_p",
                                  "harm_pct_change", "not_there"))
    pd.testing.assert_frame_equal(frame, before)
    assert table.iloc[0].tolist() == ["2024-01", "Police recorded crime", "yes",
                                      "High harm among high (hot cluster)", "0.012", -12.3]
    assert "Change in harm per month vs baseline (%)" in table.columns


def test_a_code_is_shown_only_beside_its_name() -> None:
    frame = pd.DataFrame({"name": ["Market Square", "Hollins"], "harm": [10.0, 2.0]},
                         index=pd.Index(["E05999013", "E05999008"], name="area_code"))
    table = display_table(frame, ("area_code", "name", "harm"), index="area_code")
    assert table.columns.tolist() == ["Area", "Harm (days, CCHI)"]
    assert table.iloc[:, 0].tolist() == ["Market Square (E05999013)", "Hollins (E05999008)"]
    # a code column without a name column takes the names given, else says it is an area
    codes = pd.DataFrame({"control_code": ["E05999008", "E05999099", None]})
    named = display_table(codes, names={"E05999008": "Hollins"})
    assert named.iloc[:, 0].tolist() == ["Hollins (E05999008)", "Area (E05999099)",
                                         "not known"]


def test_every_column_is_readable_by_default() -> None:
    """The rules the page walk enforces: no H3 id, no bare code, <= 3 decimals, no nan."""
    cell = h3.latlng_to_cell(52.98, -2.05, 9)
    frame = pd.DataFrame({
        "h3": [cell, None], "share": [0.8826086956521737, 0.001065330600050125],
        "harm_total": [375470.2999999996, 12.25], "wdd_p": [0.00001, 0.2512],
        "ward": ["E05999013", "E05999008"], "notes": ["ok", None],
        "last_verified": [pd.NaT, pd.Timestamp("2026-12-08 00:35:33.625411", tz="UTC")],
        "logged_at": ["2026-12-08T00:35:33.625411+00:00", None]})
    table = display_table(frame, areas=None, names={"E05999013": "Market Square"})
    text = table.astype(str).to_numpy().ravel().tolist()
    assert not [v for v in text if len(v) == 15 and v.startswith("8")]
    assert table["Share"].tolist() == [0.883, 0.001]
    assert table["Harm total"].tolist() == [375470.0, 12.0]
    assert table["WDD p-value"].tolist() == ["< 0.001", "0.251"]
    assert table["Ward"].tolist() == ["Market Square (E05999013)", "Area (E05999008)"]
    assert table["Notes"].tolist() == ["ok", "not known"]
    assert table["Last verified"].tolist() == ["not known", "2026-12-08 00:35 UTC"]
    assert table["Logged at"].tolist() == ["2026-12-08 00:35 UTC", "not known"]
    assert table["H3 cell"].iloc[0].startswith("Cell ") and table["H3 cell"].iloc[1] == \
        "not known"


def test_an_open_last_phase_runs_to_the_last_month_of_data() -> None:
    rows = [("clear", "2024-01", "2024-03"), ("hold", "2024-04", "2024-09"),
            ("build", "2024-10", "")]
    steps, stored, ongoing = open_ended_steps(rows, "2025-12")
    assert ongoing == "build"
    assert steps[-1] == ("build", "2024-10", "2025-12")
    assert stored[-1] == ("build", "2024-10", None)
    plan = PhasePlan.from_sequence(steps)
    assert plan.build is not None and plan.build.months == 15
    # a blank end in the middle is not a running phase: that row is left out
    steps, _, ongoing = open_ended_steps([("clear", "2024-01", ""), ("hold", "2024-02", "")],
                                         "2024-06")
    assert ongoing == "hold" and [s[0] for s in steps] == ["hold"]
    # a resumed phase still running is named by its occurrence
    _, _, ongoing = open_ended_steps([("clear", "2024-01", "2024-02"),
                                      ("hold", "2024-03", "2024-04"),
                                      ("clear 2", "2024-05", None)], "2024-09")
    assert ongoing == "clear 2"
    assert np.all([e for _, _, e in open_ended_steps(rows[:2], "2025-12")[1]])

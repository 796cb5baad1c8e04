"""Public registers partners keep: Open Referral UK (JSON and CSV tables) and the Charity
Commission register extract, read into the asset register through one checked import."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from geosoc.assets.importing import map_columns, plan_import, read_register_file
from geosoc.assets.registers import read_charity_register, read_open_referral
from geosoc.errors import InputFileError
from geosoc.workspace import Workspace

#: Two services of an Open Referral UK /services API page (HSDS field names); the second
#: is a phone line with no location, the first runs at two locations.
SERVICES = [
    {"id": "svc-1", "name": "Eastside Youth Project", "description": "Detached youth work",
     "url": "https://eyp.example", "email": "hello@eyp.example", "status": "active",
     "organization": {"id": "org-1", "name": "Eastside Trust"},
     "service_taxonomys": [{"taxonomy": {"name": "Youth", "vocabulary": "esd"}},
                           {"taxonomy": {"name": "Mentoring", "vocabulary": "esd"}},
                           {"taxonomy": {"name": "Cookery", "vocabulary": "esd"}}],
     "service_at_locations": [
         {"id": "sal-1", "location": {"id": "loc-1", "name": "Hall", "latitude": 51.5152,
                                      "longitude": -0.0921, "physical_addresses": [
                                          {"address_1": "1 Long Lane", "city": "London",
                                           "postal_code": "EC1A 9HP"}]}},
         {"id": "sal-2", "location": {"id": "loc-2", "name": "Annex", "latitude": None,
                                      "longitude": None, "physical_addresses": [
                                          {"address_1": "2 Long Lane",
                                           "postal_code": "EC1A 1BB"}]}}]},
    {"id": "svc-2", "name": "Debt helpline", "description": "Phone advice",
     "organization": {"id": "org-2", "name": "Advice Line"}, "service_at_locations": []},
]
POSTCODES = pd.DataFrame({"postcode": ["EC1A 1BB", "EC1A 9HP", "E1 6AN"],
                          "lon": [-0.0977, -0.0920, -0.0729],
                          "lat": [51.5201, 51.5150, 51.5190]})
#: A Charity Commission ``publicextract.charity`` sample (tab-separated, its column names).
CHARITY_HEADER = ("date_of_extract\torganisation_number\tregistered_charity_number\t"
                  "linked_charity_number\tcharity_name\tcharity_type\t"
                  "charity_registration_status\tdate_of_registration\tdate_of_removal\t"
                  "charity_contact_address1\tcharity_contact_postcode\tcharity_contact_phone\t"
                  "charity_contact_email\tcharity_contact_web\tcharity_activities")
CHARITY_ROWS = [
    "2026-11-30 00:00:00\t1\t1100001\t0\tSt Mark's Boxing Club\tCIO\tRegistered\t2001-01-01\t"
    "\t1 Road\tEC1A 1BB\t020 1\tbox@example.org\t\tBoxing for <b>young people</b>",
    "2026-11-30 00:00:00\t2\t1100002\t0\tFar Away Trust\tTrust\tRegistered\t2001-01-01\t"
    "\t9 Road\tM1 1AA\t\t\t\tElsewhere",
    "2026-11-30 00:00:00\t3\t1100003\t0\tGone Charity\tTrust\tRemoved\t2001-01-01\t"
    "2010-01-01\t2 Road\tE1 6AN\t\t\t\tDissolved",
    "2026-11-30 00:00:00\t4\t1100001\t1\tSt Mark's Boxing Club Fund\tTrust\tRegistered\t"
    "2001-01-01\t\t1 Road\tEC1A 1BB\t\t\t\tLinked fund",
    "2026-11-30 00:00:00\t5\t1100005\t0\tEast Food Bank\tCIO\tRegistered\t2001-01-01\t"
    "\t3 Road\te1 6an\t\t\t\tFood parcels",
]


def _charity_file(tmp_path: Path, rows: list[str] = CHARITY_ROWS) -> Path:
    path = tmp_path / "publicextract.charity.txt"
    path.write_text("\n".join([CHARITY_HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_open_referral_json_gives_one_asset_per_service_location(tmp_path: Path) -> None:
    path = tmp_path / "services.json"
    path.write_text(json.dumps({"totalElements": 2, "content": SERVICES}), encoding="utf-8")
    raw = read_open_referral(path)
    assert raw.attrs["skipped"] == {"service without a location": 1}
    assert raw.attrs["row_numbers"].tolist() == [1, 1]
    plan = plan_import(raw, file=str(path), postcodes=POSTCODES)
    assert plan.ok
    assets = plan.records
    assert assets["external_id"].tolist() == ["openreferral:svc-1@loc-1",
                                              "openreferral:svc-1@loc-2"]
    assert assets["category"].tolist() == ["youth", "youth"]
    assert assets["capabilities"].iloc[0] == "youth work; mentoring"
    assert assets["capabilities_other"].iloc[0] == "Cookery"
    assert assets["serves"].iloc[0] == "run by Eastside Trust"
    # the annex has no coordinates: placed at its postcode's centroid
    assert assets[["lon", "lat"]].iloc[1].tolist() == [-0.0977, 51.5201]


def test_open_referral_csv_tables_in_a_folder_and_a_zip(tmp_path: Path) -> None:
    tables = {
        "services.csv": "id,organization_id,name,description,url,email,status\n"
                        "s1,o1,Food Hub,Hot meals,,food@hub.example,active\n"
                        "s2,o1,Online chat,Chat,,,active\n",
        "organizations.csv": "id,name,description\no1,Hub CIO,\n",
        "locations.csv": "id,name,latitude,longitude\nl1,Church hall,51.519,-0.0729\n",
        "physical_addresses.csv": "id,location_id,address_1,postal_code\na1,l1,1 St,E1 6AN\n",
        "service_at_locations.csv": "id,service_id,location_id\nx1,s1,l1\n",
    }
    folder = tmp_path / "oruk"
    folder.mkdir()
    for name, text in tables.items():
        (folder / name).write_text(text, encoding="utf-8")
    archive = tmp_path / "oruk.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name, text in tables.items():
            z.writestr(f"export/{name}", text)
    for source in (folder, archive):
        raw = read_open_referral(source)
        assert raw.attrs["skipped"] == {"service without a location": 1}
        assert raw.attrs["row_numbers"].tolist() == [2]  # services.csv line of s1
        plan = plan_import(raw, file=source.name)
        assert plan.ok, plan.problems
        row = plan.records.iloc[0]
        assert (row["name"], row["postcode"], row["external_id"], row["serves"]) == (
            "Food Hub", "E1 6AN", "openreferral:s1@l1", "run by Hub CIO")


def test_charity_extract_keeps_registered_main_charities_in_the_area(tmp_path: Path) -> None:
    classes = tmp_path / "publicextract.charity_classification.txt"
    classes.write_text(
        "registered_charity_number\tlinked_charity_number\tclassification_code\t"
        "classification_type\tclassification_description\n"
        "1100001\t0\t110\tWhat\tAmateur Sport\n1100001\t0\t201\tWho\tChildren/young people\n"
        "1100005\t0\t105\tWhat\tPrevention Or Relief Of Poverty\n", encoding="utf-8")
    raw = read_charity_register(_charity_file(tmp_path), postcodes=POSTCODES,
                                classifications=classes)
    assert raw.attrs["skipped"] == {"removed from the register": 1,
                                    "linked (subsidiary) charity": 1,
                                    "postcode outside the stored postcodes": 1}
    assert raw.attrs["row_numbers"].tolist() == [2, 6]
    plan = plan_import(raw, file="extract", postcodes=POSTCODES)
    assert plan.ok, plan.problems
    assets = plan.records
    assert assets["name"].tolist() == ["St Mark's Boxing Club", "East Food Bank"]
    assert assets["category"].tolist() == ["youth", "advice/debt"]  # young people first
    assert assets["sector"].tolist() == ["third sector", "third sector"]
    assert assets["external_id"].tolist() == ["charity:1100001", "charity:1100005"]
    assert assets["services"].iloc[0] == "Boxing for <b>young people</b>"  # verbatim
    assert assets[["lon", "lat"]].iloc[1].tolist() == [-0.0729, 51.5190]


def test_charity_extract_needs_its_columns_and_postcodes(tmp_path: Path) -> None:
    bad = tmp_path / "x.txt"
    bad.write_text("name\tpostcode\nA\tE1 6AN\n", encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        read_charity_register(bad, postcodes=POSTCODES)
    assert {p.column for p in err.value.problems} == {
        "registered_charity_number", "charity_name", "charity_contact_postcode"}
    with pytest.raises(InputFileError, match="needs postcodes"):
        read_register_file(_charity_file(tmp_path), format="charity")


def test_mapped_partner_csv_reports_every_bad_row_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "partner.csv"
    path.write_text("Group,Kind,Where lon,Where lat,Skills,4P,Status with site\n"
                    "Hub,youth,-0.09,51.515,mentoring; boxing,prevent;protect,engaged\n"
                    ",youth,-0.09,51.515,,,\n"
                    "Club,sport,-0.09,99,,pursue; nonsense,maybe\n", encoding="utf-8")
    raw = map_columns(read_register_file(path, format="csv"), {
        "Group": "name", "Kind": "category", "Where lon": "lon", "Where lat": "lat",
        "Skills": "capabilities", "4P": "pillars", "Status with site": "engagement"})
    plan = plan_import(raw, file=path.name)
    assert not plan.ok and plan.records is None
    assert sorted((p.row, p.column) for p in plan.problems) == [
        (3, "name"), (4, "engagement"), (4, "lon"), (4, "pillars")]
    with Workspace.open(tmp_path / "ws.sqlite") as ws:
        assert ws.assets.frame().empty  # a failed plan is never written


def test_import_of_a_register_skips_duplicates_of_the_register(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws.sqlite",
                        clock=lambda: datetime(2026, 12, 1, tzinfo=UTC)) as ws:
        ws.assets.add({"name": "The Eastside Youth Project Ltd", "category": "youth",
                       "lon": "-0.0922", "lat": "51.5153"}, user="ana", role="analyst")
        path = tmp_path / "services.json"
        path.write_text(json.dumps(SERVICES), encoding="utf-8")
        plan = plan_import(read_open_referral(path), file=path.name, postcodes=POSTCODES,
                           register=ws.assets.frame())
        assert plan.matches[["row", "reason"]].values.tolist() == [
            [1, "same name within distance"]]
        assert len(plan.new) == 1  # the annex, 550 m away, is new
        ws.assets.import_frame(plan.new, user="ana", role="analyst", source=path.name)
        again = plan_import(read_open_referral(path), file=path.name, postcodes=POSTCODES,
                            register=ws.assets.frame())
        assert "same external id" in again.matches["reason"].tolist()
        assert again.new.empty

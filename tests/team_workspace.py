"""A team workspace built from the demo town, shared by the app and browser operation tests."""

from __future__ import annotations

from pathlib import Path

PASSWORD = "correct horse battery staple"


def team_workspace(demo_dir: Path, path: Path) -> Path:
    """Two police months, wards, the demo site with a Clear then open Hold, and a partner.

    Users: ``ana`` (analyst) and ``pat`` (partner, agency "Demoford Youth Trust"), both with
    :data:`PASSWORD`.
    """
    from geosoc.ingest import read_boundaries, read_policeuk
    from geosoc.synth.demo import load_demo
    from geosoc.workspace import Workspace
    from geosoc.workspace.dataset_store import store_dataset

    demo = load_demo(demo_dir)
    with Workspace.open(path) as ws:
        ws.users.create_user("ana", PASSWORD, "analyst")
        ws.users.create_user("pat", PASSWORD, "partner", by="ana")
        ws.operations.set_agency("pat", "Demoford Youth Trust", by="ana", role="analyst")
        for month in sorted((demo_dir / "police").glob("2024-0[12]/*.csv")):
            store_dataset(ws, read_policeuk(month), name=f"police_{month.parent.name}",
                          kind="incidents", user="ana", role="analyst")
        store_dataset(ws, read_boundaries(demo_dir / "boundaries" / "wards.geojson",
                                          kind="ward"),
                      name="wards", kind="boundaries", user="ana", role="analyst")
        ws.sites.add(demo.site.name, demo.site.geometry, reason="demo", chosen_by="ana",
                     chosen_on="2023-12-01", user="ana", role="analyst")
        ws.sites.set_phases(demo.site.name, [("clear", "2024-01", "2024-01"),
                                             ("hold", "2024-02", None)],
                            user="ana", role="analyst")
    return path

"""What a workspace holds: its datasets listed, and which ones a role may see.

Used by :mod:`geosoc.workspace.dataset_store` (which re-exports :func:`list_datasets` and
:func:`hidden_datasets`).
"""

from __future__ import annotations

import pandas as pd

from geosoc.workspace import Workspace
from geosoc.workspace.sharing import visible_to

#: Marker written in a stored dataset's metadata (datasets registered otherwise lack it).
STORE_FORMAT = "geosoc-parquet-1"


def list_datasets(ws: Workspace) -> pd.DataFrame:
    """Return every dataset registered in ``ws``, by name.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``kind``, ``area_kind`` / ``sources`` / ``months`` (comma-separated),
        ``rows``, ``loaded_by``, ``loaded_at``, ``stored`` (False for datasets registered
        without their data, which this module cannot load), ``partitioned`` (stored as
        monthly parts), ``cube`` (a harm cube is stored with it), and from the sharing record
        ``owner_agency``, ``widest_role`` and ``delete_by`` (empty: no record).
    """
    records = [ws.datasets.get(name) for name in ws.datasets.list()["name"]]
    columns = ["name", "kind", "area_kind", "sources", "months", "rows", "loaded_by",
               "loaded_at", "stored", "partitioned", "cube", "owner_agency", "widest_role",
               "delete_by"]
    terms = ws.sharing.frame().set_index("dataset")
    rows = [{**{k: r[k] for k in ("name", "kind", "rows", "loaded_by", "loaded_at")},
             **{k: ", ".join(r["metadata"].get(k, [])) for k in ("area_kind", "sources",
                                                                 "months")},
             "stored": r["metadata"].get("store") == STORE_FORMAT,
             "partitioned": bool(r["metadata"].get("partitioned", False)),
             "cube": "cube" in r["metadata"],
             **{k: str(terms.at[r["name"], k]) if r["name"] in terms.index else ""
                for k in ("owner_agency", "widest_role", "delete_by")}} for r in records]
    return pd.DataFrame(rows, columns=columns)


def visible_names(ws: Workspace, kind: str, area_kind: str | None = None, *, role: str
                  ) -> list[str]:
    """Return the stored datasets of ``kind`` that ``role`` may see (widest-role rule)."""
    listed = list_datasets(ws)
    chosen = listed[(listed["kind"] == kind) & listed["stored"]]
    if area_kind is not None:
        listed_kinds = ", " + chosen["area_kind"].astype(str) + ","
        chosen = chosen[listed_kinds.str.contains(f", {area_kind},", regex=False).astype(bool)]
    return visible_to(chosen["name"].tolist(), ws.sharing.widest_roles(), role)


def hidden_datasets(ws: Workspace, role: str) -> list[str]:
    """Return the stored datasets ``role`` may not see (their widest role is narrower)."""
    names = list_datasets(ws)["name"].tolist()
    shown = set(visible_to(names, ws.sharing.widest_roles(), role))
    return [n for n in names if n not in shown]

"""Data page: the data-sharing record of a dataset being loaded, and the ISA/DPIA register.

The record (owner agency, ISA and DPIA references, legal basis, protective marking, widest
role, delete-by date) is stored with the dataset in one transaction
(:func:`geosoc.workspace.dataset_store.store_dataset`); the register is exported through
:meth:`geosoc.workspace.Workspace.export` (audited) exactly as ``geosoc datasets register``.
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

import streamlit as st

from geosoc.errors import GeosocError
from geosoc.ui import state
from geosoc.ui.caching import studies
from geosoc.ui.feedback import show_error
from geosoc.ui.panels.tables import show_table
from geosoc.workspace import Workspace
from geosoc.workspace.roles import ROLES
from geosoc.workspace.sharing import (
    LEGAL_BASES,
    MARKINGS,
    SharingRecord,
    register_frame,
    write_register_csv,
)

#: Widest-role choices as the form words them.
WIDEST = {"analyst": "analysts only", "partner": "partners (aggregated)",
          "public": "public / launch audience (aggregated)"}


def sharing_form(prefix: str = "share", *, expanded: bool = True) -> SharingRecord | None:
    """Draw the sharing-record fields; return the record, or None when left empty.

    ``prefix`` keeps the widget keys of two forms on one page apart.

    Raises
    ------
    WorkspaceError
        Some fields filled but the record is incomplete or not usable (shown by the caller).
    """
    with st.expander("Data-sharing record (owner, ISA, legal basis, who may see it, "
                     "delete-by)", expanded=expanded):
        c = st.columns(3)
        owner = c[0].text_input("Owner agency", key=f"{prefix}_owner")
        isa = c[1].text_input("ISA reference", key=f"{prefix}_isa")
        dpia = c[2].text_input("DPIA reference (optional)", key=f"{prefix}_dpia")
        basis = c[0].selectbox("Legal basis", [*LEGAL_BASES, "other"], key=f"{prefix}_basis")
        if basis == "other":
            basis = c[0].text_input("Legal basis (as the ISA states it)",
                                    key=f"{prefix}_basis_other")
        marking = c[1].selectbox("Protective marking", MARKINGS, index=1,
                                 key=f"{prefix}_marking")
        widest = c[2].selectbox("Widest role allowed to see it", ROLES,
                                format_func=WIDEST.__getitem__, key=f"{prefix}_widest",
                                help="A dataset limited to analysts never reaches a partner or "
                                     "public view, even aggregated.")
        delete_by = c[0].date_input("Delete by", value=date.today() + timedelta(days=730),
                                    key=f"{prefix}_delete_by")
        notes = c[1].text_input("Conditions (optional)", key=f"{prefix}_notes")
    if not owner and not isa:
        return None
    return SharingRecord.from_mapping({
        "owner_agency": owner, "isa_reference": isa, "dpia_reference": dpia,
        "legal_basis": basis, "protective_marking": marking, "widest_role": widest,
        "delete_by": delete_by.isoformat(), "notes": notes})


def register_panel(user: state.SessionUser) -> None:
    """Show the ISA/DPIA register and offer it as an audited CSV export (analysts)."""
    st.subheader("ISA / DPIA register")
    with Workspace.open(studies.workspace_path(user)) as ws:
        table = register_frame(ws.sharing.frame(), ws.datasets.list(), today=ws.now().date())
    if table.empty:
        st.caption("No datasets yet.")
        return
    show_table(table)
    _record_terms(user, [d for d, s in zip(table["dataset"], table["status"], strict=True)
                         if s != "deleted"])
    overdue = table[(table["status"] == "held") & (table["days_left"].fillna(1) <= 0)]
    if len(overdue):
        st.warning(f"{len(overdue)} dataset(s) are past their delete-by date and will be "
                   "deleted the next time the app starts (or run geosoc workspace retention).")
    purpose = st.text_input("Purpose of the export (audited)", key="register_purpose",
                            placeholder="e.g. DPO quarterly review")
    if st.button("Export the register (CSV)", key="register_export", disabled=not purpose):
        folder = Path(tempfile.mkdtemp(prefix="geosoc-register-"))
        try:
            with Workspace.open(studies.workspace_path(user)) as ws:
                path = ws.export(folder / "isa-dpia-register.csv",
                                 lambda temp, anchor: write_register_csv(table, temp, anchor),
                                 who=user.username, role=user.role.value,
                                 action="export.sharing_register", purpose=purpose,
                                 details={"datasets": len(table)})
        except GeosocError as error:
            show_error(error)
            return
        st.download_button("Download isa-dpia-register.csv", path.read_bytes(),
                           file_name=path.name, mime="text/csv", key="register_download")


def _record_terms(user: state.SessionUser, datasets: list[str]) -> None:
    """Record or update the terms of a dataset already loaded (audited, analysts)."""
    if not datasets:
        return
    st.markdown("**Record or update a dataset's sharing terms**")
    name = st.selectbox("Dataset", datasets, key="terms_dataset")
    try:
        terms = sharing_form("terms", expanded=False)
    except GeosocError as incomplete:
        show_error(incomplete)
        return
    if st.button("Record these terms", key="terms_record", disabled=terms is None):
        with Workspace.open(studies.workspace_path(user)) as ws:
            ws.sharing.record(name, terms, user=user.username, role=user.role.value)
        st.success(f"Recorded the terms of '{name}'; every view applies them now.")

"""Audit (analysts only): the append-only, hash-chained log of who saw or changed what."""

from __future__ import annotations

import streamlit as st

from geosoc.disclosure.rules import Role
from geosoc.errors import GeosocError
from geosoc.ui import state
from geosoc.ui.caching import studies
from geosoc.ui.feedback import show_error
from geosoc.ui.panels.tables import show_table
from geosoc.workspace import Workspace

user = state.current_user()
st.title("Audit log")
if user is None or user.role is not Role.ANALYST:
    st.error("The audit log is for analysts only.")
    st.stop()
try:
    with Workspace.open(studies.workspace_path(user)) as ws:
        check = ws.verify_audit_chain()
        log = ws.audit_log(role=user.role.value)
except GeosocError as error:
    show_error(error)
    st.stop()
if check.ok:
    st.success(f"Hash chain intact: {len(log)} entries verified.")
else:
    st.error(f"The audit chain is broken at entry {check.first_broken_seq}: {check.reason}")
actions = st.multiselect("Actions", sorted(log["action"].unique()) if len(log) else [],
                         key="audit_actions", placeholder="All actions")
shown = log[log["action"].isin(actions)] if actions else log
show_table(shown.iloc[::-1], height=520)

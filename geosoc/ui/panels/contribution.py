"""Profile page: whose data is in the profile (agency, records, months), for the role shown."""

from __future__ import annotations

import streamlit as st

from geosoc.disclosure.rules import Role
from geosoc.report.table_labels import source_label
from geosoc.ui import state
from geosoc.ui.caching import studies


def render(key: str, filters: state.Filters, role: Role) -> None:
    """Draw the per-agency contribution table (disclosed counts for partner and public)."""
    st.subheader("Whose data is in this profile")
    table = studies.contribution(key, filters, role.value)
    records = table["records"].map(lambda v: "suppressed" if v != v else f"{v:,.0f}")
    shown = table.assign(records=records, source=table["source"].map(source_label)).rename(
        columns={
            "agency": "Agency", "source": "Data", "records": "Records",
            "first_month": "From", "last_month": "To"})
    st.dataframe(shown[["Agency", "Data", "Records", "From", "To"]], hide_index=True,
                 width="stretch")
    if role is not Role.ANALYST:
        st.caption("Records are disclosed like every figure on this page (perturbed or "
                   "rounded; small totals suppressed). Datasets limited to analysts by their "
                   "sharing agreement are not included.")

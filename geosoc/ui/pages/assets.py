"""Community asset mapping (CHB foundation block FB5): the register over harm, gaps, edits.

Partners and analysts place a new asset by clicking the map and move one by clicking its new
place; they import their own registers and the public ones (Open Referral UK, the Charity
Commission extract) with a preview of every problem and match. The map holds disclosed
cells and assets only, never an incident point.
"""

from __future__ import annotations

import folium
import pandas as pd
import streamlit as st

from geosoc import maps
from geosoc.assets.capabilities import PILLARS, redact_for_role, stale_flags
from geosoc.assets.coverage import asset_gaps
from geosoc.assets.model import CATEGORIES, SECTORS
from geosoc.disclosure.rules import Role
from geosoc.errors import ConflictError, GeosocError
from geosoc.harm import harm_unit
from geosoc.report.table_labels import short_unit
from geosoc.ui import state
from geosoc.ui.caching import basemaps, studies, views
from geosoc.ui.feedback import require_study, show_error, show_problems
from geosoc.ui.maps.mapview import show_legend, show_map
from geosoc.ui.panels.asset_forms import (
    coverage_panel,
    import_panel,
    register_table,
    structured_inputs,
)
from geosoc.ui.panels.tables import show_table
from geosoc.workspace import Workspace

EDITABLE = ("name", "category", "sector", "services", "serves", "opening_times", "contact",
            "postcode")
CLICK_MODES = ("Just look", "Place a new asset", "Move an asset")
#: A click on the bare map comes back as ``last_clicked``; one on a hexagon or marker as
#: ``last_object_clicked`` (the layer takes the event), both ``{"lat", "lng"}``.
CLICKS = ("last_clicked", "last_object_clicked")
#: Session key of the message a save leaves for the rerun that shows its result.
FLASH_KEY = "as_flash"


def _text(value: object) -> str:
    """Return a stored field as form text: empty when missing (never "nan" or "None")."""
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def _edit_input(field: str, current: pd.Series, asset_id: object) -> str:
    """One field of the edit form: the same drop-downs as the add form, text otherwise."""
    label = field.replace("_", " ").capitalize()
    value = _text(current.get(field))
    choices = {"category": CATEGORIES, "sector": SECTORS}.get(field)
    if choices is None:
        return st.text_input(label, value=value, key=f"as_e_{asset_id}_{field}")
    options = list(choices) if value in choices or not value else [value, *choices]
    return st.selectbox(label, options, index=options.index(value) if value else 0,
                        key=f"as_e_{asset_id}_{field}")


def _saved(message: str) -> None:
    """Keep ``message`` for the next run and rerun, so the map and the count show the change."""
    st.session_state[FLASH_KEY] = message
    st.session_state.pop("as_point", None)
    st.rerun()


def _newest_click(returned: dict, mode: str) -> dict | None:
    """Return the latest click on the map, whichever layer took it (kept across reruns).

    A click made in another mode is forgotten.
    """
    if st.session_state.get("as_click_mode_seen") != mode:
        st.session_state["as_click_mode_seen"] = mode
        st.session_state.pop("as_point", None)
    now = {k: returned.get(k) for k in CLICKS}
    seen = st.session_state.get("as_clicks", {})
    changed = [now[k] for k in CLICKS if now[k] and now[k] != seen.get(k)]
    st.session_state["as_clicks"] = now
    if changed:
        st.session_state["as_point"] = changed[-1]
    return st.session_state.get("as_point")

role = state.view_role()
user = state.current_user()
study = require_study(views=True)  # no point read: areas, assets and site only
key = studies.study_key()
filters = state.filters()
st.title("Community assets")
if FLASH_KEY in st.session_state:  # what the last save did, shown after the map refreshed
    st.success(st.session_state.pop(FLASH_KEY))
st.caption("Voluntary, community, faith, sports, business and statutory groups and places "
           "that the Build phase can work with (FB5).")

read_only = role is Role.PUBLIC or user is None
try:
    register = studies.asset_register(user)
except GeosocError as error:
    if not study.demo:
        show_error(error)
        st.stop()
    st.warning(f"The demo town's asset file does not pass the register's checks "
               f"({len(error.problems)} problems), so it is shown read-only and cannot be "
               "edited here.")
    with st.expander("Problems found in the demo asset file"):
        show_problems(error)
    register = study.assets
    read_only = True
analyst = role is Role.ANALYST
register = redact_for_role(register, role.value)

cols = st.columns([2, 2, 2, 3])
categories = cols[0].multiselect("Categories", sorted(register["category"].unique()),
                                 key="as_categories", placeholder="All")
sectors = cols[1].multiselect("Sectors", sorted(register["sector"].dropna().unique()),
                              key="as_sectors", placeholder="All")
pillars = cols[2].multiselect("4P pillars", PILLARS, key="as_pillars", placeholder="All",
                              format_func=str.capitalize)
search = cols[3].text_input("Name contains", key="as_search")
stale_only = st.checkbox("Only records not verified for 12 months", key="as_stale")
shown = register
if categories:
    shown = shown[shown["category"].isin(categories)]
if sectors:
    shown = shown[shown["sector"].isin(sectors)]
if pillars and "pillars" in shown.columns:
    pattern = "|".join(pillars)
    shown = shown[shown["pillars"].fillna("").str.contains(pattern, regex=True)]
if search:
    shown = shown[shown["name"].str.contains(search, case=False, regex=False)]
if stale_only and "last_verified" in shown.columns:
    shown = shown[stale_flags(shown["last_verified"].fillna("").astype(str)).to_numpy()]

mode = CLICK_MODES[0]
if not read_only:
    mode = st.radio("Clicking the map", CLICK_MODES, key="as_click_mode", horizontal=True)

#: What the harm layer is in: CCHI days, or ASB weight units for ASB-only data.
HARM_UNIT = harm_unit(filters.categories or study.categories, study.sources)
HARM_LABEL = f"Harm ({short_unit(HARM_UNIT)})"
resolution = views.map_resolution(key, 9)  # a force-wide layer stays drawable
cells = studies.cell_layer(key, filters, resolution, role.value, False)
colours = maps.category_colours(register["category"])
map_col, legend_col = st.columns([4, 1])
with map_col:
    m = basemaps.base_map(boundaries=study.areas["ward"])
    pending = (st.session_state.get("as_point")
               if st.session_state.get("as_click_mode_seen") == mode != CLICK_MODES[0] else None)
    if pending:  # where the last click landed: the new asset's place, or the move's target
        folium.Marker([float(pending["lat"]), float(pending["lng"])],
                      tooltip="New asset here" if mode == CLICK_MODES[1] else "Move it here",
                      icon=folium.Icon(color="green", icon="plus", prefix="fa")).add_to(m)
    scale = maps.quantile_scale(cells["harm"].fillna(0))
    maps.value_layer(cells, "harm", scale, name=HARM_LABEL,
                     tooltip={"harm": HARM_LABEL, "count": "Events"}).add_to(m)
    for group in maps.asset_layers(shown, colours):
        group.add_to(m)
    # streamlit-folium reads returned_objects once, when the map first starts: each mode
    # has its own map (key) so that clicks come back only in the modes that use them.
    clicked = show_map(m, key=f"assets_map_{CLICK_MODES.index(mode)}", height=560,
                       returned_objects=list(CLICKS) if mode != CLICK_MODES[0] else None,
                       content_key=(key, filters, role.value, resolution, mode,
                                    views.frame_digest(shown), str(pending)))
    point = _newest_click(clicked, mode)
with legend_col:
    show_legend(maps.category_legend("Assets", {c: colours[c] for c in sorted(
        shown["category"].unique())}))
    show_legend(scale.legend(HARM_LABEL))
st.caption(f"{len(shown)} of {len(register)} active assets shown.")
with st.expander("The register as a table (stale records flagged)"):
    show_table(register_table(shown, analyst=analyst))


def _workspace() -> Workspace:
    return Workspace.open(studies.workspace_path(user))


if mode == CLICK_MODES[1]:
    if not point:
        st.info("Click the map where the new asset is.")
    else:
        lon, lat = round(float(point["lng"]), 6), round(float(point["lat"]), 6)
        st.markdown(f"**New asset at {lat:.5f}, {lon:.5f}**")
        with st.form("asset_place", clear_on_submit=True):
            p = st.columns(3)
            placed = {"name": p[0].text_input("Name", key="pl_name"),
                      "category": p[1].selectbox("Category", CATEGORIES, key="pl_category"),
                      "sector": p[2].selectbox("Sector", SECTORS, key="pl_sector"),
                      "services": st.text_input("Services", key="pl_services"),
                      "contact": st.text_input("Contact", key="pl_contact"),
                      **structured_inputs("pl", None, analyst=analyst),
                      "lon": lon, "lat": lat, "source": "app (placed on the map)"}
            if st.form_submit_button("Add asset here"):
                try:
                    with _workspace() as ws:
                        ws.assets.add(placed, user=user.username, role=role.value)
                except GeosocError as error:
                    show_error(error)
                else:
                    _saved(f"Added {placed['name']} at {lat:.5f}, {lon:.5f}.")
elif mode == CLICK_MODES[2] and not register.empty:
    names = register.set_index("asset_id")["name"]
    moving = st.selectbox("Asset to move", list(names.index), key="mv_id",
                          format_func=lambda i: str(names.loc[i]))
    row = register.set_index("asset_id").loc[moving]
    seen = st.session_state.setdefault(f"mv_seen_{moving}", int(row["version"]))
    if not point:
        st.info("Click the map where the asset now is.")
    else:
        lon, lat = round(float(point["lng"]), 6), round(float(point["lat"]), 6)
        st.markdown(f"Move from {float(row['lat']):.5f}, {float(row['lon']):.5f} "
                    f"to **{lat:.5f}, {lon:.5f}**")
        if st.button("Move it here", key="mv_go"):
            try:
                with _workspace() as ws:
                    ws.assets.edit(moving, {"lon": lon, "lat": lat},
                                   expected_version=seen, user=user.username,
                                   role=role.value)
            except ConflictError as error:
                st.warning("Someone else saved this asset after you opened it; nothing was "
                           "overwritten. Check their version and move it again.")
                show_error(error)
            except GeosocError as error:
                show_error(error)
            else:  # _saved reruns the page, so the version is forgotten first
                st.session_state.pop(f"mv_seen_{moving}", None)
                _saved(f"Moved {row['name']} to {lat:.5f}, {lon:.5f}.")
            st.session_state.pop(f"mv_seen_{moving}", None)  # refused: the next try reads anew

st.subheader("Coverage of the CHB site and its rings")
coverage_panel(study.site, register, cells, tuple(study.ring_bands_m))

st.subheader("Gaps: high-harm places with no asset of a kind nearby")
gap_cols = st.columns(3)
wanted = gap_cols[0].multiselect("Wanted provision", CATEGORIES, default=["youth"],
                                 key="gap_categories")
reach = gap_cols[1].slider("Within (metres)", 100, 2000, 500, 50, key="gap_reach")
quantile = gap_cols[2].slider("High harm = top share of cells", 0.05, 0.5, 0.1, 0.05,
                              key="gap_quantile")
if wanted and not register.empty:
    try:
        gaps = asset_gaps(cells.fillna({"harm": 0}), register, categories=wanted,
                          distance_m=float(reach), harm_quantile=1 - quantile)
    except GeosocError as error:
        show_error(error)
    else:
        show_table(pd.DataFrame(gaps.drop(columns="geometry", errors="ignore")), study=study,
                   index="h3", height=260)

if read_only:
    st.stop()
st.subheader("Keep the register up to date")
add_tab, edit_tab, import_tab = st.tabs(["Add an asset", "Edit or retire", "Import a register"])
with add_tab, st.form("asset_add", clear_on_submit=True):
    a = st.columns(3)
    record = {
        "name": a[0].text_input("Name"),
        "category": a[1].selectbox("Category", CATEGORIES),
        "sector": a[2].selectbox("Sector", SECTORS),
        "services": st.text_input("Services"),
        "postcode": a[0].text_input("Postcode (or give lon/lat)"),
        "lon": a[1].text_input("Longitude"),
        "lat": a[2].text_input("Latitude"),
        "contact": st.text_input("Contact"),
        **structured_inputs("add", None, analyst=analyst),
        "source": "app",
    }
    if st.form_submit_button("Add asset"):
        try:
            with Workspace.open(studies.workspace_path(user)) as ws:
                ws.assets.add(record, user=user.username, role=role.value)
        except GeosocError as error:
            show_error(error)
        else:
            _saved(f"Added {record['name']}.")
with edit_tab:
    if register.empty:
        st.info("The register is empty.")
    else:
        asset_id = st.selectbox("Asset", list(register["asset_id"]), key="as_edit_id",
                                format_func=lambda i: register.set_index("asset_id")
                                .loc[i, "name"])
        current = register.set_index("asset_id").loc[asset_id]
        # Optimistic concurrency: the version this person opened, kept across reruns, is
        # what the save is checked against (a newer saved version means a conflict).
        seen_key = f"as_seen_{asset_id}"
        seen = st.session_state.setdefault(seen_key, int(current["version"]))
        with st.form("asset_edit"):
            changes = {f: _edit_input(f, current, asset_id) for f in EDITABLE}
            changes |= structured_inputs(f"as_s_{asset_id}", current, analyst=analyst)
            save, retire = st.columns(2)
            do_save = save.form_submit_button("Save changes")
            sure = retire.checkbox(f"Yes, retire {_text(current.get('name'))}: it leaves the "
                                   "map; its history stays in the register",
                                   key=f"as_retire_ok_{asset_id}")
            do_retire = retire.form_submit_button("Retire asset")
        if do_retire and not sure:
            st.warning("Tick the box beside 'Retire asset' to confirm: nothing was retired.")
            do_retire = False
        if do_save or do_retire:
            try:
                with Workspace.open(studies.workspace_path(user)) as ws:
                    if do_retire:
                        ws.assets.retire(asset_id, expected_version=seen,
                                         user=user.username, role=role.value)
                    else:
                        edited = {k: v for k, v in changes.items()
                                  if v != _text(current.get(k))}
                        ws.assets.edit(asset_id, edited, expected_version=seen,
                                       user=user.username, role=role.value)
            except ConflictError as error:
                st.warning("Someone else saved this asset after you opened it, so your change "
                           "was not saved and nothing was overwritten. Check their version "
                           "and make your change again.")
                show_error(error)
                del st.session_state[seen_key]
            except GeosocError as error:
                show_error(error)
            else:
                del st.session_state[seen_key]
                _saved(f"Saved {_text(current.get('name'))}." if do_save
                       else f"Retired {_text(current.get('name'))}.")
with import_tab:
    import_panel(user, role.value, register, study.postcodes)


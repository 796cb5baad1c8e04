"""The Streamlit app (the only Streamlit code in geosoc): thin pages over the library.

Organised by job:

* ``entry``: page config, sign-in gate, navigation over ``pages/``.
* ``pages/``: one file per page, run by ``st.navigation``.
* ``panels/``: the sections pages compose (sidebar, charts, time sections, partner counts,
  asset and sharing forms, the running of a site).
* ``caching/``: the one caching place, with the rule for what is cached per process, per
  role and per session.
* ``maps/``: folium maps with Streamlit legends, the base map, deck.gl cell layers.
* ``state``: session keys (who is signed in, role shown, sidebar filters).
* ``study``, ``cube_study``: what a session analyses, from the points or the stored cubes.
* ``feedback``, ``progress``: errors shown with their fixes; progress bars.
* ``testing/``: run the app and drive it in headless chromium (tests, bench).
"""

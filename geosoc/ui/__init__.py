"""The Streamlit app (the only Streamlit code in geosoc): thin pages over the library.

* ``state``: session keys (who is signed in, role shown, sidebar filters).
* ``cache``: every ``st.cache_data``/``st.cache_resource`` (small hashable keys, role in
  the key of anything disclosed).
* ``study``: what a session analyses, from the demo town or a workspace's datasets.
* ``sidebar``, ``mapview``, ``feedback``: the shared sidebar, offline maps with Streamlit
  legends, errors shown with their fixes.
* ``server``, ``browser``: run the app and drive it in headless chromium (tests, bench).
* ``pages/``: one file per page, run by ``st.navigation`` in ``app.py``.
"""

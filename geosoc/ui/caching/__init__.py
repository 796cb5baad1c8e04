"""The app's one caching place: every ``st.cache_data`` / ``st.cache_resource`` lives here.

One rule decides where a result is kept:

* **per process** (``st.cache_resource``, shared read-only by every session): what depends
  only on the data and settings -- a loaded study, its lean views and per-incident cells
  (:mod:`.study_views`), boundaries and their point-in-area index, base-map tiles and
  outlines (:mod:`.basemaps`), rendered maps (:mod:`.views`), start-up work
  (:mod:`.startup`). Keys are small hashables: paths, content fingerprints, ints, tuples.
* **per role** (``st.cache_data`` with the **viewing role in the key**): anything disclosed
  -- layers, series, headlines, contribution tables, month frames (:mod:`.studies`),
  partner counts (:mod:`.partners`), site rankings and displacement (:mod:`.points`).
  ``st.cache_data`` is shared by all users: a disclosed result without its role in the key
  would leak an analyst's figures to a partner.
* **per session** (``st.session_state``, :mod:`geosoc.ui.state`): who is signed in, the role
  shown, the sidebar filters and widget choices -- never data.

Nothing outside this package caches; pages and panels call these functions and must not
mutate what they return (the library never does).

Modules: :mod:`.studies` (studies, layers, analyses: the data half), :mod:`.views`
(rendered maps, deck.gl maps, outlines, page analyses, the sign-in preload),
:mod:`.study_views`, :mod:`.partners`, :mod:`.points`, :mod:`.basemaps`, :mod:`.startup`.
"""

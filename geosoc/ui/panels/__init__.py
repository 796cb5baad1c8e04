"""The pieces pages compose: sidebar, charts, time sections, partner counts, forms.

Each panel renders one section of a page from what :mod:`geosoc.ui.caching` returns; a
panel holds no cache of its own and no logic the library should own.
"""

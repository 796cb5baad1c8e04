"""geosoc Streamlit app (``streamlit run app.py``, or ``geosoc app`` from an installed package).

The app itself is :mod:`geosoc.ui.entry`; pages live in ``geosoc/ui/pages/``.
"""

from geosoc.ui.entry import run

run()

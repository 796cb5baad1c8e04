"""Progress bars for slow steps, usable as the library's ``progress(fraction, message)``.

Library functions report progress through an optional callable (e.g.
:func:`geosoc.hotspots.profile.build_profile`). :class:`ProgressBar` is such a callable drawing an
``st.progress`` bar, and it may be handed into an ``st.cache_data``/``st.cache_resource``
function (as an ``_underscore`` argument, which is not hashed):

- Streamlit records every element call made while a cached function runs, to replay it on a
  cache hit; a bar created outside the function cannot be replayed and fails the next run
  (``CacheReplayClosureError``). The bar therefore updates itself in the context captured
  when it was created, outside any cached function, where nothing is recorded.
- On a cache hit the function body does not run, so the bar only flashes; the ``with`` block
  removes it either way.
"""

from __future__ import annotations

import contextvars
from types import TracebackType

import streamlit as st


class ProgressBar:
    """An ``st.progress`` bar that library code updates with ``bar(fraction, message)``.

    Parameters
    ----------
    text : str
        What the bar says before the first update.

    Examples
    --------
    >>> with ProgressBar("Building the launch pack…") as bar:  # doctest: +SKIP
    ...     html = views.launch_report(key, filters, role, bar)
    """

    def __init__(self, text: str) -> None:
        self._context = contextvars.copy_context()
        self._bar = st.progress(0.0, text=text)

    def __call__(self, fraction: float, message: str) -> None:
        """Move the bar to ``fraction`` (clipped to 0-1) and show ``message``."""
        value = min(max(float(fraction), 0.0), 1.0)
        self._context.run(self._bar.progress, value, text=message)

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._bar.empty()

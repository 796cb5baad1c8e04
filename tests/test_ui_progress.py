"""ProgressBar: a library progress callback that works inside Streamlit-cached functions."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _script() -> None:
    import streamlit as st

    from geosoc.ui.progress import ProgressBar

    @st.cache_data(show_spinner=False)
    def slow_sum(n: int, _progress) -> int:
        for i in range(n):
            _progress((i + 1) / n, f"step {i + 1} of {n}")
        st.session_state["calls"] = st.session_state.get("calls", 0) + 1
        return sum(range(n))

    keep = st.session_state.get("keep", False)
    bar = ProgressBar("starting…")
    total = slow_sum(int(st.session_state.get("n", 4)), bar)
    if keep:
        bar(2.0, "clipped to done")  # values outside 0-1 are clipped
    else:
        bar.__exit__(None, None, None)
    st.markdown(f"total {total}")


def test_progress_inside_a_cached_function_survives_cache_hits():
    at = AppTest.from_function(_script, default_timeout=30)
    at.session_state["n"] = 7919  # a key no other run has cached
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert [m.value for m in at.markdown] == [f"total {sum(range(7919))}"]
    assert at.session_state["calls"] == 1
    at.run()  # a cache hit replays the function's elements: none may refer to the bar
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["calls"] == 1
    assert [m.value for m in at.markdown] == [f"total {sum(range(7919))}"]
    assert not at.get("progress")  # removed once done


def test_progress_bar_shows_the_latest_step_clipped():
    at = AppTest.from_function(_script, default_timeout=30)
    at.session_state["n"] = 3
    at.session_state["keep"] = True
    at.run()
    assert not at.exception
    (bar,) = at.get("progress")
    assert bar.proto.value == 100 and bar.proto.text == "clipped to done"

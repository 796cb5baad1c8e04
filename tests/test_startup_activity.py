"""The app's activity count: background loading waits until no page script has run a while."""

from __future__ import annotations

import threading
import time

from geosoc.ui.caching.startup import Activity


def test_idle_time_is_zero_while_any_script_runs_and_grows_after() -> None:
    activity = Activity()
    with activity.running():
        assert activity.idle_seconds() == 0.0
        with activity.running():  # two sessions at once
            assert activity.idle_seconds() == 0.0
        assert activity.idle_seconds() == 0.0  # one still running
    time.sleep(0.05)
    assert activity.idle_seconds() >= 0.05


def test_a_failing_script_still_counts_as_ended() -> None:
    activity = Activity()
    try:
        with activity.running():
            raise RuntimeError("page failed")
    except RuntimeError:
        pass
    time.sleep(0.02)
    assert activity.idle_seconds() > 0.0


def test_waiting_for_idle_outlasts_a_running_script() -> None:
    activity = Activity()
    started = threading.Event()

    def page() -> None:
        with activity.running():
            started.set()
            time.sleep(0.3)

    thread = threading.Thread(target=page)
    thread.start()
    started.wait()
    begin = time.monotonic()
    activity.wait_until_idle(0.1, poll_s=0.01)
    waited = time.monotonic() - begin
    thread.join()
    assert waited >= 0.25  # the rest of the script (~0.3 s), then 0.1 s of quiet
    assert activity.idle_seconds() >= 0.1


def test_waiting_gives_up_after_its_limit() -> None:
    activity = Activity()
    with activity.running():
        begin = time.monotonic()
        activity.wait_until_idle(10.0, poll_s=0.01, give_up_s=0.1)
        assert 0.1 <= time.monotonic() - begin < 5.0

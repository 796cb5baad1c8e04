"""Start the app in a real Streamlit server for browser tests and benchmarks.

Always on a fresh free port (a stale server on a fixed port would answer the health check
and serve old code), bound to 127.0.0.1, stopped (process group) on exit.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:  # noqa: S310
            return response.read().strip() == b"ok"
    except OSError:
        return False


@contextmanager
def app_server(*, env: dict[str, str] | None = None, timeout_s: float = 90.0,
               log: Path | None = None) -> Iterator[str]:
    """Run ``streamlit run app.py`` headless on a free port; yield its base URL.

    Parameters
    ----------
    env : dict, optional
        Extra environment variables (e.g. ``GEOSOC_DEMO_DIR``).
    timeout_s : float
        How long to wait for ``/_stcore/health`` to answer ``ok``.
    log : pathlib.Path, optional
        File receiving the server's output (default: discarded).

    Yields
    ------
    str
        ``http://127.0.0.1:<port>``.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
               "--server.address", "127.0.0.1", "--server.port", str(port),
               "--server.headless", "true", "--server.fileWatcherType", "none",
               "--browser.gatherUsageStats", "false"]
    sink = log.open("w") if log else subprocess.DEVNULL
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **(env or {})},
                               stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout_s
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start on {url} (exit {process.poll()})")
            time.sleep(0.25)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if log:
            sink.close()

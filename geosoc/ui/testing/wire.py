"""Read Streamlit's websocket from a browser session: when each rerun ends, and bytes sent.

Benchmarks (``bench/bench_app_scale.py``) time a step to the server's ``script_finished``
message, decoded with Streamlit's own protobuf classes, instead of guessing from the page.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from geosoc.ui.testing.browser import AppSession


@dataclass
class Wire:
    """What the server sent over the websocket: when reruns finished, and how many bytes."""

    finished: list[float] = field(default_factory=list)
    sent: list[float] = field(default_factory=list)
    received: int = 0

    def on_sent(self, _payload: bytes | str) -> None:
        """Record that the page sent a message (a widget change asks for a rerun)."""
        self.sent.append(time.perf_counter())

    def on_frame(self, payload: bytes | str) -> None:
        """Record one websocket message from the server."""
        data = payload.encode() if isinstance(payload, str) else payload
        self.received += len(data)
        try:
            message = ForwardMsg.FromString(data)
        except Exception:
            return
        if message.WhichOneof("type") == "script_finished":
            self.finished.append(time.perf_counter())


def attach(app: AppSession) -> Wire:
    """Start reading the app's websocket messages (call before the page opens)."""
    wire = Wire()

    def watch(ws: object) -> None:
        ws.on("framereceived", wire.on_frame)  # type: ignore[attr-defined]
        ws.on("framesent", wire.on_sent)  # type: ignore[attr-defined]

    app.page.on("websocket", watch)
    return wire

"""The launch pack and the 6-month review pack read as words for every role.

The same rules as the page walk (``tests/test_browser_readable.py``) on the text a reader
sees in each pack: no H3 id, no area code without its name, no float with more than 3
decimals, no nan/None/NaT, no ``__`` key. Scripts, styles and embedded data (map tiles,
GeoJSON for the map) are not text a person reads and are left out.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import pandas as pd
import pytest

from geosoc.hotspots.profile import build_profile
from geosoc.report.profile_report import ReportInputs, render_profile_report
from geosoc.report.review_inputs import demo_review_inputs
from geosoc.report.review_pack import render_review_pack
from geosoc.synth.demo import load_demo
from tests.test_browser_readable import unreadable

ROLES = ("analyst", "partner", "public")
WHEN = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


class _Text(HTMLParser):
    """Collect the text nodes of a page outside script, style and svg."""

    def __init__(self) -> None:
        super().__init__()
        self.skip, self.parts = 0, []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style", "svg", "template"):
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "svg", "template") and self.skip:
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip and data.strip():
            self.parts.append(data.strip())


def reader_text(html: str) -> str:
    """Return what a person reads in ``html``: its text, one piece a line."""
    parser = _Text()
    parser.feed(html)
    return "\n".join(parser.parts)


@pytest.fixture(scope="module")
def town():
    return load_demo()


@pytest.mark.parametrize("role", ROLES)
def test_the_launch_pack_reads_as_words(town, role: str) -> None:
    profile = build_profile(town.incidents, {"ward": town.wards}, resolution=9,
                            lisa_permutations=99, emerging_freq=None)
    inputs = ReportInputs(title="Demoford: locality profile", assets=town.assets,
                          incidents=town.incidents, demo=True)
    text = reader_text(render_profile_report(profile, role=role, inputs=inputs))
    assert "Demoford" in text and len(text) > 500
    assert unreadable(text) == {}


@pytest.mark.parametrize("role", ROLES)
def test_the_review_pack_reads_as_words(town, role: str) -> None:
    as_of = pd.Period("2024-12", freq="M")  # six months into the demo's Hold
    text = reader_text(render_review_pack(demo_review_inputs(town, as_of, role=role),
                                          role=role, generated_at=WHEN))
    assert len(text) > 500
    assert unreadable(text) == {}


def test_the_reader_text_leaves_out_scripts_and_keeps_words() -> None:
    text = reader_text("<p>Hollins (E05999008)</p><script>var x = '89195cc64d3ffff';</script>"
                       "<style>.a{width:0.123456px}</style><td>0.8826086956521737</td>")
    assert "89195cc64d3ffff" not in text and "Hollins" in text
    assert re.search(r"0\.8826", text) and unreadable(text)

"""The Phases page (AppTest, demo town): one verdict first, evidence that never contradicts it."""

from __future__ import annotations

import re

import pytest

from geosoc.disclosure.rules import Role
from geosoc.ui.state import SessionUser
from tests.app_harness import assert_ok, open_page

#: Published-measure wording that reads like a finding (must never appear on the page).
FINDING_WORDS = ("statistically significant", "displacement outweighs", "diffusion larger",
                 "some displacement, net gain", "diffusion of benefit (WDQ")


@pytest.fixture(scope="module")
def page(demo_dir):
    mp = pytest.MonkeyPatch()
    mp.setenv("GEOSOC_DEMO_DIR", str(demo_dir))
    try:
        at = open_page("phases", user=SessionUser("demo", Role.ANALYST, demo=True), check=False)
    finally:
        mp.undo()
    return at


def _texts(at) -> list[str]:
    return [str(getattr(e, "value", "")) for e in at.main]


def test_the_verdict_comes_first_and_once(page):
    assert_ok(page)
    texts = _texts(page)
    verdicts = [i for i, t in enumerate(texts) if t.startswith("**Verdict (as of")]
    assert len(verdicts) == 1
    heads = {t: i for i, t in enumerate(texts)}
    for section in ("Change in the site", "Displacement or diffusion in the rings",
                    "The Hold watch", "Community perception"):
        assert section in heads and heads[section] > verdicts[0], section
    assert heads["Did it work?"] < verdicts[0]


def test_no_sentence_contradicts_the_verdict(page):
    texts = _texts(page)
    verdict = next(t for t in texts if t.startswith("**Verdict (as of"))
    claimed = set(re.findall(r"significant (?:fall|rise) in (the [\w\- ]+?) during (\w+)",
                             verdict))
    for text in texts:
        assert not any(w in text for w in FINDING_WORDS), text
        for zone_phase in re.findall(r"^- (\w+), \w+ in (the [\w\- ]+?): significant", text):
            phase, zone = zone_phase
            assert (zone, phase) in claimed, (text, verdict)
    if "no evidence of an effect" in verdict:
        assert not any(": significant" in t for t in texts)
    assert any("would be detected" in t for t in texts)  # power beside "no evidence"


def test_details_fold_into_expanders_and_waves_show(page):
    labels = [e.label for e in page.expander]
    assert "Published measures: WDQ, WDD, rate ratio, raw % change" in labels
    assert "Every Hold month, zone by zone" in labels
    assert any("survey wave(s)" in t for t in _texts(page))
    assert any(t.startswith("- no displacement alert") or "alert(s) in" in t
               for t in _texts(page))


def test_the_pages_verdict_is_the_phase_reports(page):
    from geosoc.cli.phase_dates import plan_within_data
    from geosoc.phases.site_evaluation import evaluate_site, evaluation_events
    from geosoc.synth.demo import load_demo

    demo = load_demo()
    plan = plan_within_data(demo.site.plan_frame(), demo.incidents["month"])
    result = evaluate_site(evaluation_events(demo.incidents), demo.site.geometry, plan,
                           parts=("tests",))
    verdict = next(t for t in _texts(page) if t.startswith("**Verdict (as of"))
    assert verdict.endswith(result.verdict["reading"])
    assert all(any(t == f"- {line}" for t in _texts(page)) for line in result.tests["reading"])

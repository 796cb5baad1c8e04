"""Render a site's one evaluation as text: the verdict first, then the evidence in sections.

Every report (``geosoc phases report``'s ``summary.md``, the review pack, the Phases page)
takes its words from a :class:`geosoc.phases.site_evaluation.SiteEvaluation`; this module
only lays them out. The published measures are a table of numbers under their own names.
"""

from __future__ import annotations

import pandas as pd

from geosoc.phases.site_evaluation import DESCRIPTIVE_NOTE, SiteEvaluation


def markdown_table(frame: pd.DataFrame) -> list[str]:
    """Return a Markdown table of ``frame`` (blank for missing values, never 0)."""
    if frame.empty:
        return ["(none)"]
    cols = [str(c) for c in frame.columns]
    rows = [" | ".join("" if pd.isna(v) else str(v) for v in r) for r in frame.to_numpy()]
    return [" | ".join(cols), " | ".join("---" for _ in cols), *rows]


def evaluation_markdown(result: SiteEvaluation, *, title: str, control_note: str = ""
                        ) -> list[str]:
    """Return the lines of a Markdown summary: verdict, tests, watch, published measures, SPPT.

    Parameters
    ----------
    result : SiteEvaluation
        The site's evaluation.
    title : str
        First heading.
    control_note : str
        How the control of the published measures was chosen.
    """
    watch = result.watch["reading"].tolist() if len(result.watch) else []
    sppt = result.sppt["reading"].tolist() if len(result.sppt) else []
    tests = result.tests["reading"].tolist() if len(result.tests) else []
    return [f"# {title}", "", f"As of {result.as_of}.", "",
            f"**Verdict:** {result.verdict['reading']}", "",
            f"Method: {result.verdict['method']}", "",
            "## Change and displacement: the calibrated tests", "",
            *[f"- {t}" for t in tests], "",
            "## The Hold watch", "", *([f"- {t}" for t in watch] or ["(no Hold month yet)"]),
            "", "## Published measures (numbers, no verdict)", "", DESCRIPTIVE_NOTE,
            *([f"Control: {control_note}"] if control_note else []), "",
            *markdown_table(result.descriptive), "",
            "## Spatial pattern (Andresen's SPPT, descriptive)", "",
            *[f"- {t}" for t in sppt], ""]

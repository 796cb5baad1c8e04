"""Partner area-count flags shared by ``geosoc profile``, ``sites rank`` and ``phases report``.

``--partner-treatment SOURCE=harm|indicator`` (repeatable) chooses per source whether its
counts enter harm with the source's own weight or stay a separate indicator (vulnerability
signals are always their own indicator); ``--apportion area|population`` names how area
counts are split over H3 cells and candidate sites.
"""

from __future__ import annotations

import argparse

from geosoc.errors import ConfigError, Problem


def add_partner_flags(parser: argparse.ArgumentParser) -> None:
    """Add ``--partner-treatment`` and ``--apportion`` to ``parser``."""
    parser.add_argument("--partner-treatment", action="append", default=[],
                        metavar="SOURCE=MODE",
                        help="partner area counts: 'harm' (counts x the source's own weight, "
                             "the default) or 'indicator' (kept out of harm), e.g. "
                             "youth=indicator; repeatable")
    parser.add_argument("--apportion", choices=("area", "population"), default="area",
                        help="split partner area counts over cells and candidates by area "
                             "share (default) or population (postcode) share")


def parse_treatment(values: list[str]) -> dict[str, str]:
    """Parse ``SOURCE=MODE`` values; raise ConfigError listing every bad one."""
    out: dict[str, str] = {}
    problems = []
    for value in values:
        source, sep, mode = value.partition("=")
        if not sep or not source or mode not in ("harm", "indicator"):
            problems.append(Problem(f"--partner-treatment {value!r}",
                                    column="--partner-treatment",
                                    fix="write SOURCE=harm or SOURCE=indicator, "
                                        "e.g. youth=indicator"))
        else:
            out[source] = mode
    if problems:
        raise ConfigError("bad --partner-treatment", problems)
    return out


def partner_counts_for(data: object, args: argparse.Namespace, *,
                       weights_path: str | None = None) -> object | None:
    """Return the :class:`~geosoc.aggregate.count_layers.PartnerCounts` of a loaded study.

    ``data`` is a :class:`~geosoc.synth.demo.DemoTown` or a workspace
    :class:`~geosoc.workspace.study.StudyData` (``area_counts``, ``lsoas``, ``wards``,
    ``postcode_sectors``); None when it holds no partner area counts.
    """
    from geosoc.aggregate.count_layers import PartnerCounts
    from geosoc.harm import load_harm_weights

    counts = getattr(data, "area_counts", None)
    if counts is None or counts.empty:
        return None
    areas = {"lsoa": data.lsoas, "ward": data.wards,
             "postcode_sector": getattr(data, "postcode_sectors", None)}
    weights = load_harm_weights(weights_path) if weights_path else None
    bundle = PartnerCounts.build(counts, areas, weights=weights)
    if not bundle.treatment:
        return None
    return bundle.with_treatment(parse_treatment(getattr(args, "partner_treatment", [])))

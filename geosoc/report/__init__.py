"""Report stage: standalone offline HTML packs and the figures in them.

``profile_report`` (the locality profile / launch pack, role-safe), ``figures`` (static SVG
maps and trends for the packs) and ``phase_chart`` (the phase chart of a site's series).
"""

from geosoc.report.phase_chart import phase_chart
from geosoc.report.profile_report import ReportInputs, export_profile, render_profile_report

__all__ = ["ReportInputs", "export_profile", "phase_chart", "render_profile_report"]

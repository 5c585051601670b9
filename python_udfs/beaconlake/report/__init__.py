"""The analyst's report: incidents and their evidence as one self-contained HTML file.

``render_html`` builds the page (``page.py``): the queue of incidents, most severe first, with
filters by tenant, severity and status, and per incident a drill-down with its full reason, a
beat timeline, the intervals between beats and their autocorrelation (``charts.py``, inline
SVG). ``IncidentView`` (``view.py``) is what the page needs to know of one incident;
``read_incident_views`` (``source.py``) reads them from the warehouse.
"""

from beaconlake.report.page import render_html, write_report
from beaconlake.report.source import read_incident_views
from beaconlake.report.view import IncidentView

__all__ = ["IncidentView", "read_incident_views", "render_html", "write_report"]

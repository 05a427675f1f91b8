"""Reports of a comparison run, rendered from its ``data.json`` alone: ``report.md``
(plots as PNG files) and a self-contained ``report.html`` (plots inline), both
written from one list of blocks so they hold the same content in the same order.

- :mod:`~compare.report.blocks` — number formatting, block types, data access;
- :mod:`~compare.report.sections` — the sections, as blocks;
- :mod:`~compare.report.plots` — the plots;
- :mod:`~compare.report.writers` — Markdown and HTML writers.
"""

from compare.report.blocks import MISSING, fmt, fmt_count, fmt_span
from compare.report.sections import build_blocks, claim_cell
from compare.report.writers import render_html, render_markdown, render_plots, write_reports

__all__ = [
    "MISSING",
    "build_blocks",
    "claim_cell",
    "fmt",
    "fmt_count",
    "fmt_span",
    "render_html",
    "render_markdown",
    "render_plots",
    "write_reports",
]

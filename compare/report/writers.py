"""The two writers: blocks to Markdown (plots as files under ``plots/``) and to one
self-contained HTML page (plots inline), and :func:`write_reports` for a run folder."""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from matplotlib.figure import Figure

from compare.model import Data
from compare.report.blocks import Alert, Block, Bullets, Details, Heading, Para, Plot, Table, slug, walk
from compare.report.sections import build_blocks

# -------------------------------------------------------------------- plots --


def png_bytes(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def render_plots(data: Data) -> dict[str, bytes]:
    """Every plot the reports show: file name → PNG bytes."""
    return {
        block.name: png_bytes(block.draw()) for block in walk(build_blocks(data)) if isinstance(block, Plot)
    }


# ----------------------------------------------------------------- Markdown --


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown(blocks: Sequence[Block]) -> list[str]:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            out.append(f"{'#' * block.level} {block.text}")
        elif isinstance(block, Para):
            out.append(block.text)
        elif isinstance(block, Alert):
            out.append(f"> ⚠ {block.text}")
        elif isinstance(block, Bullets):
            out.append("\n".join(f"- {item}" for item in block.items))
        elif isinstance(block, Table):
            lines = ["| " + " | ".join(_md_cell(h) for h in block.header) + " |"]
            lines.append("|" + "|".join("---:" if n else "---" for n in block.numeric) + "|")
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows]
            out.append("\n".join(lines))
        elif isinstance(block, Plot):
            out.append(f"![{block.alt}](plots/{block.name})")
        elif isinstance(block, Details):
            inner = "\n\n".join(_markdown(block.blocks))
            out.append(f"<details>\n<summary>{html.escape(block.summary)}</summary>\n\n{inner}\n\n</details>")
    return out


def render_markdown(data: Data) -> str:
    """``report.md``: plots are linked as ``plots/<name>.png`` (see :func:`write_reports`)."""
    return "\n\n".join(_markdown(build_blocks(data))) + "\n"


# --------------------------------------------------------------------- HTML --

_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_EMPHASIS = re.compile(r"(?<![\w*])\*([^*\s][^*]*?)\*(?![\w*])")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


#: ✅/❌ as glyphs every desktop font has (colour emoji fonts are not everywhere)
_MARKS = {"✅": '<span class="yes" title="yes">✔</span>', "❌": '<span class="no" title="no">✘</span>'}


def _inline(text: str) -> str:
    """The little inline Markdown the blocks use (code, bold, emphasis, links) as HTML."""
    out = []
    for i, part in enumerate(_CODE.split(text)):
        if i % 2:
            out.append(f"<code>{html.escape(part)}</code>")
            continue
        escaped = html.escape(part, quote=False)
        escaped = _BOLD.sub(r"<strong>\1</strong>", escaped)
        escaped = _EMPHASIS.sub(r"<em>\1</em>", escaped)
        escaped = _LINK.sub(lambda m: f'<a href="{html.escape(m[2])}">{m[1]}</a>', escaped)
        for mark, replacement in _MARKS.items():
            escaped = escaped.replace(mark, replacement)
        out.append(escaped)
    return "".join(out)


def _html(blocks: Sequence[Block], plots: Mapping[str, bytes]) -> list[str]:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            anchor = block.anchor or (f"section-{slug(block.text)}" if block.level == 2 else None)
            attr = f' id="{anchor}"' if anchor else ""
            out.append(f"<h{block.level}{attr}>{_inline(block.text)}</h{block.level}>")
        elif isinstance(block, Para):
            out.append(f"<p>{_inline(block.text)}</p>")
        elif isinstance(block, Alert):
            out.append(f'<p class="alert">⚠ {_inline(block.text)}</p>')
        elif isinstance(block, Bullets):
            out.append("<ul>" + "".join(f"<li>{_inline(item)}</li>" for item in block.items) + "</ul>")
        elif isinstance(block, Table):
            attr = f' id="{block.anchor}"' if block.anchor else ""
            numeric = list(block.numeric)

            def cls(i: int, numeric: list[bool] = numeric) -> str:
                return ' class="num"' if i < len(numeric) and numeric[i] else ""

            head = "".join(f"<th{cls(i)}>{_inline(h)}</th>" for i, h in enumerate(block.header))
            rows = []
            for number, row in enumerate(block.rows):
                span = block.spans[number] if number < len(block.spans) else None
                cells = [f"<td{cls(i)}>{_inline(c)}</td>" for i, c in enumerate(row[:span])]
                if span is not None:
                    cells.append(f'<td class="note" colspan="{len(row) - span}">{_inline(row[span])}</td>')
                rows.append("<tr>" + "".join(cells) + "</tr>")
            body = "".join(rows)
            out.append(
                f'<div class="table"><table{attr}><thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table></div>"
            )
        elif isinstance(block, Plot):
            png = plots.get(block.name)
            if png is None:
                png = png_bytes(block.draw())
            source = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
            out.append(f'<figure><img class="plot" alt="{html.escape(block.alt)}" src="{source}"></figure>')
        elif isinstance(block, Details):
            inner = "\n".join(_html(block.blocks, plots))
            out.append(f"<details><summary>{html.escape(block.summary)}</summary>\n{inner}\n</details>")
    return out


_CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1b;
       margin: 0; background: #fafafa; }
main { max-width: 1360px; margin: 0 auto; padding: 16px 24px 48px; background: #fff; }
h1 { font-size: 26px; margin: 8px 0; }
h2 { font-size: 20px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 2px solid #e3e3e3; }
h3 { font-size: 16px; margin: 22px 0 6px; }
div.table { overflow-x: auto; margin: 8px 0 12px; }
table { border-collapse: collapse; font-size: 12.5px; }
th, td { border: 1px solid #d8d8d8; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #eef1f5; font-weight: 600; vertical-align: bottom; }
tbody tr:nth-child(even) { background: #f7f8fa; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
td:first-child { white-space: nowrap; }
#scorecard td:nth-child(2) { white-space: nowrap; }
#scorecard th { min-width: 4.5em; }
td.note { color: #6b4a00; }
.yes { color: #1a7f37; font-weight: 700; }
.no { color: #cf222e; font-weight: 700; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f1f1f1;
       padding: 0 3px; border-radius: 3px; }
.alert { background: #fff4e0; border-left: 4px solid #e69500; padding: 6px 10px; margin: 6px 0; }
figure { margin: 8px 0 16px; }
img.plot { max-width: 100%; height: auto; border: 1px solid #e3e3e3; }
details { margin: 6px 0 12px; }
summary { cursor: pointer; color: #1f4f8f; }
#scorecard td:first-child { font-weight: 600; }
"""


def render_html(data: Data, plots: Mapping[str, bytes] | None = None) -> str:
    """``report.html``: self-contained, the plots inline as base64 PNG. ``plots``
    (from :func:`render_plots`) saves drawing them again."""
    blocks = build_blocks(data)
    body = "\n".join(_html(blocks, plots if plots is not None else render_plots(data)))
    title = f"coodie driver comparison — {data['run']['id']}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def write_reports(data: Data, folder: Path) -> None:
    """Write ``report.md``, ``report.html`` and ``plots/*.png`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    plots = render_plots(data)
    plot_folder = folder / "plots"
    plot_folder.mkdir(exist_ok=True)
    for name, png in plots.items():
        (plot_folder / name).write_bytes(png)
    (folder / "report.md").write_text(render_markdown(data), encoding="utf-8")
    (folder / "report.html").write_text(render_html(data, plots), encoding="utf-8")

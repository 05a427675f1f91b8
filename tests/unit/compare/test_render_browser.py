"""report.html as a browser shows it: headless Chromium renders the sample report,
saves a screenshot beside it and hands back the DOM it built."""

from __future__ import annotations

import base64
import re
import struct
from pathlib import Path

import pytest
from compare import browser
from compare.browser import BrowserError, dump_dom, find_chromium, screenshot
from compare.report import write_reports
from compare.sample import sample_data

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_SIGNATURE) and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        find_chromium()
    except BrowserError as exc:  # a missing browser is a broken set-up, not a reason to skip
        pytest.fail(str(exc))
    folder = tmp_path_factory.mktemp("report")
    write_reports(sample_data(), folder)
    return folder / "report.html"


def test_screenshot_beside_the_report(report: Path) -> None:
    shot = screenshot(report)
    assert shot == report.with_name("report.png")
    png = shot.read_bytes()
    width, height = png_size(png)
    assert width >= 1000 and height >= 2000
    assert len(png) > 100_000, "a screenshot this small is a blank page"


def test_dom_has_the_scorecard_and_the_plots(report: Path) -> None:
    dom = dump_dom(report)
    assert re.search(r'<table id="scorecard">.*?<td>native</td>', dom, re.S)
    images = re.findall(r"<img\b[^>]*>", dom)
    plots = [tag for tag in images if 'class="plot"' in tag]
    assert len(plots) >= 4
    for tag in plots:
        source = re.search(r'src="data:image/png;base64,([^"]+)"', tag)
        assert source, tag[:200]
        assert png_size(base64.b64decode(source[1]))[0] > 0


def test_missing_chromium_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser.shutil, "which", lambda _name: None)
    with pytest.raises(BrowserError, match=r"apt-get install -y chromium"):
        find_chromium()

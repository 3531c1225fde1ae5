"""A headless Chromium for the HTML report tests (Playwright for Python).

The browser is the system's (Debian: ``apt-get install chromium``), never one
downloaded by ``playwright install``. :func:`launch` says why when it cannot
start one, so that the tests can skip with a clear reason.

Run as a script to regenerate the README's screenshot::

    python tests/browser_util.py docs/report.png
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]


def chromium_path() -> str | None:
    """The system Chromium: $HUGEMC_CHROMIUM, else chromium or chromium-browser on PATH."""
    env = os.environ.get("HUGEMC_CHROMIUM")
    if env:
        return env
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


class BrowserUnavailable(Exception):
    """Chromium (or Playwright) is missing or does not start; the message says which."""


@contextmanager
def launch():
    """A started Playwright Chromium; raises BrowserUnavailable with the reason."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as e:
        raise BrowserUnavailable(f"playwright is not installed ({e}); pip install -e '.[test]'") from None
    exe = chromium_path()
    if exe is None:
        raise BrowserUnavailable("no chromium on PATH; apt-get install -y chromium (or set HUGEMC_CHROMIUM)")
    pw = sync_playwright().start()
    try:
        try:
            browser = pw.chromium.launch(executable_path=exe, args=ARGS, timeout=60_000)
        except PlaywrightError as e:
            raise BrowserUnavailable(f"cannot launch {exe}: {str(e).splitlines()[0]}") from None
        try:
            yield browser
        finally:
            browser.close()
    finally:
        pw.stop()


def offline_page(browser, blocked: list[str], width: int = 1440, height: int = 1000):
    """A page that refuses, and records in ``blocked``, every request not to file: or data:."""
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
    page = context.new_page()

    def route(r):
        url = r.request.url
        if url.startswith(("file:", "data:")):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    page.route("**/*", route)
    page.on("request", lambda req: None if req.url.startswith(("file:", "data:")) else blocked.append(req.url))
    return page


def main(argv: list[str]) -> int:
    """Write a screenshot of the seed-merged-two-readers report, mid-trace, to argv[0]."""
    out = Path(argv[0] if argv else ROOT / "docs" / "report.png").resolve()
    html = out.with_suffix(".tmp.html")
    subprocess.run([sys.executable, "-m", "hugemc.cli", "check", "examples/seed-merged-two-readers.toml",
                    "--html", str(html)], cwd=ROOT, check=False, capture_output=True)
    try:
        with launch() as browser:
            blocked: list[str] = []
            page = offline_page(browser, blocked, width=1280, height=1320)
            page.goto(html.as_uri() + "#cx1/4")
            page.wait_for_selector("article.cx:not([hidden]) .src-line.current")
            page.screenshot(path=str(out), full_page=False)
            assert not blocked, blocked
    finally:
        html.unlink(missing_ok=True)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Charts as PNG images, for documents: plotly's image export (kaleido) driving a
Chrome or Chromium found on the machine (Debian's /usr/bin/chromium first)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

#: kaleido's error when its browser page had not loaded its scripts (seen under load); retried
TRANSIENT = "kaleido_scopes is not defined"
RETRIES = 2
BROWSERS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


def write_png(fig, path, *, width: int = 1400, height: int = 750) -> Path:
    """Write a plotly figure as PNG.

    Raises
    ------
    RuntimeError : with a plain message when kaleido or a browser for it is missing.
    """
    if not os.environ.get("BROWSER_PATH"):
        found = next((b for b in BROWSERS if Path(b).exists()), None) or shutil.which("chromium") \
            or shutil.which("google-chrome")
        if found:
            os.environ["BROWSER_PATH"] = found
    out = Path(path)
    try:
        for attempt in range(RETRIES + 1):
            try:
                fig.write_image(out, format="png", width=width, height=height, scale=1)
                break
            except Exception as exc:  # kaleido under load: its page's scripts not loaded yet
                if attempt == RETRIES or TRANSIENT not in str(exc):
                    raise
    except Exception as exc:  # kaleido's errors are long tracebacks about a browser
        raise RuntimeError(
            "cannot write PNG: plotly's image export (kaleido) needs Chrome or Chromium; install one "
            "(e.g. `apt-get install chromium`) or set BROWSER_PATH to its binary "
            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})") from None
    return out

"""The wall TV's playlist (`/kiosk`): chosen views shown in turn, full screen, without navigation.

``/kiosk?views=/floor,/lines/L01&every=30`` keeps every view of the playlist loaded (each follows
its own live stream, with its own data-age badge) and shows one at a time for ``every`` seconds,
so the screen never reloads a page and runs for days. Views are paths of this web app only.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from seamline.errors import SeamlineError
from seamline.web.ui.pages import SCRIPT_STRINGS, render

router = APIRouter(include_in_schema=False)
STRINGS = ("Wall screen",)
SCRIPT_STRINGS["kiosk"] = STRINGS
_VIEW = re.compile(
    r"^/(?!/)[A-Za-z0-9_\-/:.]*(\?[A-Za-z0-9_\-=:.]*)?$"
)  # a path of this app, never another site


class PlaylistError(SeamlineError):
    status_code = 400
    reason = "invalid_playlist"


@router.get("/kiosk", response_class=HTMLResponse)
def kiosk_page(
    request: Request,
    views: str = Query("/floor", description="comma-separated paths of this app's pages"),
    every: int = Query(30, ge=5, le=3600, description="seconds each view stays on screen"),
) -> HTMLResponse:
    paths = [v.strip() for v in views.split(",") if v.strip()]
    if not paths or len(paths) > 12 or any(not _VIEW.match(p) or p.startswith("/kiosk") for p in paths):
        raise PlaylistError(
            f"views={views!r}: give 1 to 12 comma-separated paths of this app's pages, e.g. /floor,/lines/L01"
        )
    lang = request.query_params.get("lang")
    suffix = "kiosk=1" + (f"&lang={lang}" if lang in ("en", "zh") else "")
    frames = [p + ("&" if "?" in p else "?") + suffix for p in paths]
    return render(
        request,
        "kiosk.html",
        title="Wall screen",
        data={"views": frames, "every_s": every},
        strings=STRINGS,
        chrome=False,
    )

"""The web app's pages and their live streams, served at the API's address.

Pages are rendered on the server with Jinja2 (the layout here, each view's template in its
capability's ``templates`` folder) and carry their first snapshot inline, so the first paint needs
no second request; each page then follows one server-sent-event stream (``/ui/live/{topic}``).
Scripts and styles come only from ``/static`` (this package's ``static`` folder; libraries in
``static/vendor`` with their versions, hashes and licences).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Final

import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, select_autoescape

from seamline.auth import csrf_token
from seamline.auth.errors import ForbiddenError
from seamline.auth.roles import USER_ROLES
from seamline.errors import NotFoundError
from seamline.timeutil import now_ms
from seamline.web.ui.i18n import LOCALES, negotiate, script_strings, translate
from seamline.web.ui.live import LiveHub, Producer, sse

STATIC = Path(__file__).parent / "static"
KEEPALIVE_S = 15.0
# The live topics a wall screen's kiosk token may follow: the floor's figures, never people's.
KIOSK_TOPICS: Final = frozenset({"floor"})

router = APIRouter(include_in_schema=False)

_env = Environment(
    loader=ChoiceLoader(
        [
            FileSystemLoader(Path(__file__).parent / "templates"),
            PackageLoader("seamline.production", "templates"),
            PackageLoader("seamline.quality", "templates"),
            PackageLoader("seamline.brain", "templates"),
        ]
    ),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _lang(request: Request) -> str:
    principal = getattr(request.state, "principal", None)
    return negotiate(
        request.query_params.get("lang"),
        getattr(principal, "lang", None),
        request.headers.get("accept-language"),
    )


def render(
    request: Request,
    template: str,
    *,
    title: str,
    data: Any,
    strings: tuple[str, ...],
    chrome: bool = True,
    extra: dict[str, Any] | None = None,
) -> HTMLResponse:
    """A page: the layout around ``template``, with ``data`` (the first snapshot) and the strings its
    script draws, in the reader's language; without navigation (``chrome``) on wall screens;
    ``extra`` adds names the template reads (its filters)."""
    lang = _lang(request)
    factory = request.app.state.factory
    kiosk = request.query_params.get("kiosk") == "1" or not chrome
    html = _env.get_template(template).render(
        _=lambda text: translate(lang, text),
        lang=lang,
        locale=LOCALES[lang].replace("_Hans", "").replace("_", "-"),
        title=translate(lang, title),
        site=factory.site_name,
        timezone=factory.timezone,
        kiosk=kiosk,
        path=request.url.path,
        principal=getattr(request.state, "principal", None),
        csrf=csrf_token(request) or "",
        page_json=orjson.dumps(data).decode(),
        strings_json=orjson.dumps(script_strings(lang, strings)).decode(),
        refusals_json=orjson.dumps(
            {} if lang == "en" else {k: translate(lang, v) for k, v in REFUSALS.items()}
        ).decode(),
        **(extra or {}),
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


TopicFactory = Callable[[FastAPI, str], Producer | None]  # (app, the part after "name:") -> producer
_TOPICS: dict[str, TopicFactory] = {}
# page -> the strings its script draws (for the catalogue test)
SCRIPT_STRINGS: dict[str, tuple[str, ...]] = {}
SCRIPT_STRINGS["layout"] = tuple(role.value for role in USER_ROLES)  # the signed-in user's role, named
# What a refused write means, by the error's reason: a page in another language than English shows
# this sentence in its language, with the server's own (English) message after it for the details
REFUSALS: dict[str, str] = {
    "not_authenticated": "You are signed out: sign in again.",
    "forbidden": "Your role may not do this.",
    "csrf": "This page is out of date: reload it and try again.",
    "invalid_request": "A field is missing or not valid.",
    "invalid_field": "A field is missing or not valid.",
    "not_found": "It does not exist (any more).",
    "decision_refused": "This cannot be decided again: it is already decided.",
    "lot_judged": "This lot is already judged.",
    "inspection_discontinued": "Sampling of this stream is stopped: resume it first.",
    "inspection_mismatch": "The inspection level does not match the stream's switching state.",
    "switching_refused": "The stream's switching state refuses this.",
    "invalid_inspection": "The inspection's figures do not add up.",
    "invalid_sampling_input": "The sampling plan's inputs are not valid.",
    "production_not_running": "Production records are not kept by this server.",
    "order_refused": "The order cannot be changed this way.",
    "order_conflict": "The order cannot be changed this way.",
    "order_cancelled": "The order is cancelled.",
    "too_many_attempts": "Too many attempts: wait a minute and try again.",
    "read_only": "This server takes no writes (read-only).",
    "store_busy": "The store is busy: try again in a moment.",
}
SCRIPT_STRINGS["refusals"] = tuple(sorted(set(REFUSALS.values())))


def topic(name: str) -> Callable[[TopicFactory], TopicFactory]:
    """Register the producer factory of the live topics ``name`` and ``name:<arg>``."""

    def register(factory: TopicFactory) -> TopicFactory:
        _TOPICS[name] = factory
        return factory

    return register


def stamped(snapshot: dict[str, Any]) -> bytes:
    """A topic's snapshot as it is sent: with the server's wall time (``server_ts``, from which a
    page tells how old its data is) and as JSON."""
    snapshot["server_ts"] = int(time.time() * 1000)
    return orjson.dumps(snapshot)


def floor_now(ledger: Any) -> int:
    """The floor's clock (the newest device time applied), or the wall clock before any data."""
    return int(ledger.clock_ms) or now_ms()


def _resolver(app: FastAPI) -> Callable[[str], Producer | None]:
    def resolve(key: str) -> Producer | None:
        name, _, arg = key.partition(":")
        factory = _TOPICS.get(name)
        return factory(app, arg) if factory is not None else None

    return resolve


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/floor", status_code=303)


@router.get("/ui/live/{topic}")
async def live(request: Request, topic: str) -> StreamingResponse:
    """The page's stream: an event ``snapshot`` whenever its figures change."""
    hub: LiveHub = request.app.state.live
    principal = getattr(request.state, "principal", None)
    if getattr(principal, "kind", None) == "kiosk" and topic.partition(":")[0] not in KIOSK_TOPICS:
        raise ForbiddenError(
            f"a wall screen's kiosk token may follow the live topics {sorted(KIOSK_TOPICS)}, not {topic!r}",
            role="kiosk",
            allowed=sorted(r.value for r in USER_ROLES),
        )
    if not hub.known(topic):
        raise NotFoundError("live topic", topic)

    async def events() -> AsyncIterator[bytes]:
        yield b"retry: 2000\n\n"
        stream = hub.subscribe(topic)
        pending = None
        try:
            while True:
                if pending is None:
                    pending = asyncio.ensure_future(anext(stream))
                done, _ = await asyncio.wait({pending}, timeout=KEEPALIVE_S)
                if done:
                    yield sse("snapshot", pending.result())
                    pending = None
                else:
                    yield b": keep-alive\n\n"
        finally:
            if pending is not None:  # let the cancelled read finish before closing its generator
                pending.cancel()
                await asyncio.gather(pending, return_exceptions=True)
            await stream.aclose()

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def install_ui(app: FastAPI) -> None:
    """Serve the pages, their streams and ``/static`` from ``app``; wake the streams on each commit."""
    from seamline.web.ui import views  # noqa: PLC0415  (the views register with this module on import)

    app.state.live = hub = LiveHub(_resolver(app))
    ingestor = app.state.ingestor
    if ingestor is not None and hasattr(ingestor, "add_commit_listener"):
        ingestor.add_commit_listener(lambda *_: hub.notify())
    app.include_router(router)
    for view in views.ROUTERS:
        app.include_router(view)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


__all__ = ["SCRIPT_STRINGS", "TopicFactory", "floor_now", "install_ui", "render", "stamped", "topic"]

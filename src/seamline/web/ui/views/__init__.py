"""Each view of the web app: its page route(s) and its live topic, one module per view.

A view module defines ``router`` (its pages), registers its live topic with
:func:`seamline.web.ui.pages.topic` and the strings its script draws in
:data:`seamline.web.ui.pages.SCRIPT_STRINGS`; its template lives in its capability's ``templates``
folder (``production/templates/floor.html``) and its script in ``web/ui/static``.
"""

from seamline.web.ui.views import (
    balance,
    devices,
    floor,
    kiosk,
    lineboard,
    machines,
    orders,
    plan,
    quality,
    reports,
)

ROUTERS = (
    floor.router,
    kiosk.router,
    lineboard.router,
    machines.router,
    devices.router,
    quality.router,
    orders.router,
    plan.router,
    reports.router,
    balance.router,
)

__all__ = ["ROUTERS"]

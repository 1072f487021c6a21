"""What the devices screen shows, as plain data: the registry (``GET /api/v1/devices``) with each
device's connection as ingest sees it (``GET /api/v1/ingest/stats`` and
:class:`~seamline.ingest.Liveness`): the transport of its newest message, when that came, its
message rate, the messages of it that were rejected and why, and whether it has a signal (the
same :func:`~seamline.production.signal.no_signal` as the floor's machine states).
"""

from __future__ import annotations

from typing import Any, Final

from seamline.ingest import Ingestor
from seamline.model.factory import Factory
from seamline.model.http import device_summary
from seamline.production.signal import no_signal
from seamline.store.base import Store

NO_SIGNAL: Final = "no_signal"  # died, or silent for longer than its timeout
NOT_HEARD: Final = "not_heard"  # nothing came since ingest started, and it has not timed out yet
LIVE: Final = "live"
_ORDER: Final = {NO_SIGNAL: 0, NOT_HEARD: 1, LIVE: 2}


def devices_snapshot(factory: Factory, store: Store, ingestor: Ingestor) -> dict[str, Any]:
    """Every device of the registry with its connection, devices with no signal first (then by
    id); with ingest's totals (rates, rejections by reason and transport)."""
    liveness = ingestor.liveness
    now = liveness.now_ms()
    lost = no_signal(store, factory.devices, liveness, now)
    rejected = ingestor.rejected_by_device()
    rows = []
    for d in factory.devices:
        heard = liveness.last_heard(d.id)
        gone = lost.get(d.id)
        state = NO_SIGNAL if gone is not None else LIVE if heard is not None else NOT_HEARD
        rows.append(
            {
                **device_summary(d),
                "state": state,
                "died": gone.died if gone is not None else False,
                "transport": heard.transport if heard is not None else None,
                "last_received": heard.received_ms if heard is not None else None,
                "last_sent": heard.sent_ms if heard is not None else (gone.since_ms if gone else None),
                "messages": liveness.messages(d.id),
                "rate_per_s": round(liveness.rate_per_s(d.id, now), 2),
                "rejected": rejected.get(d.id, {}),
            }
        )
    rows.sort(key=lambda r: (_ORDER[r["state"]], r["id"]))
    stats = ingestor.stats()
    newest = max((r["last_received"] or 0 for r in rows), default=0)
    return {
        "now": now,
        "data_ts": newest or None,
        "devices": rows,
        "ingest": {
            "readings_per_s": round(stats["readings_per_s"], 1),
            "messages_accepted": stats["messages_accepted"],
            "received": stats["received"],
            "rejected": {r: n for r, n in stats["rejected"].items() if n},
            "rejected_total": stats["rejected_total"],
        },
    }


__all__ = ["devices_snapshot"]

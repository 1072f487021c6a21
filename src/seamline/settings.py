"""Every setting Seamline reads, declared once: name, type, default and help.

Settings come from the command line or from ``SEAMLINE_*`` environment variables; this is the only
module that reads the environment.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from seamline.model.factory import ChannelKind
from seamline.store.base import DAY_MS, RetentionClass, RetentionPolicy
from seamline.store.duckdb import MEMORY_LIMIT

_KINDS = frozenset(kind.value for kind in ChannelKind)
_HORIZONS = frozenset({"raw_days", "minute_days", "hour_days"})


def _ms(days: float | None) -> int | None:
    return None if days is None else round(days * DAY_MS)


class Settings(BaseSettings):
    """Platform settings; ``SEAMLINE_DATA_DIR=/srv/seamline`` sets ``data_dir`` and so on."""

    model_config = SettingsConfigDict(env_prefix="SEAMLINE_", extra="ignore")

    data_dir: Path = Field(Path("seamline-data"), description="where the embedded store and tokens live")
    factory_file: Path | None = Field(
        None, description="factory TOML; default: the shipped reference factory"
    )
    store: str | None = Field(
        None, description="postgresql://user@host:5432/db[?schema=name]; default: DuckDB file in data_dir"
    )
    host: str = Field("127.0.0.1", description="address the HTTP API listens on")
    port: int = Field(8000, ge=1, le=65535, description="port the HTTP API listens on")
    mqtt_url: str | None = Field(None, description="broker to ingest from, e.g. mqtt://127.0.0.1:1883")
    sparkplug_group: str | None = Field(
        None, description="Sparkplug B group id to ingest from the MQTT broker (spBv1.0/{group}/...)"
    )
    sparkplug_host_id: str | None = Field(
        None, description="Sparkplug B host application id [seamline-{site}]"
    )
    mqtt_ca_file: Path | None = Field(
        None, description="PEM file of the CA(s) to trust for an mqtts:// broker; default: the system's"
    )
    mqtt_cert_file: Path | None = Field(
        None, description="PEM client certificate for an mqtts:// broker that asks for one"
    )
    mqtt_key_file: Path | None = Field(
        None, description="PEM private key of mqtt_cert_file, when the certificate file does not hold it"
    )
    flush_interval_s: float = Field(0.25, gt=0, le=10, description="how often the writer commits")
    ingest_max_queue: int = Field(
        10_000, ge=100, description="messages queued for the writer before producers wait (backpressure)"
    )
    device_timeout_s: float | None = Field(
        None,
        gt=0,
        description="seconds without a message after which a device that sends on a schedule has no"
        " signal (line states, state durations); default: 3 snapshot periods of its state channels,"
        " at least 10 s",
    )
    downtime_threshold_s: float = Field(
        120.0,
        gt=0,
        description="an idle or fault state this long with no reported downtime over it becomes an"
        " unassigned stop for a supervisor to give a reason",
    )
    production_save_interval_s: float = Field(
        300.0,
        ge=0,
        description="how often the production records are saved in the store (and at every clean stop),"
        " so that a start replays only the events stored after them; 0: never (every start rebuilds"
        " them from every stored event)",
    )
    brain_watch_interval_s: float = Field(
        60.0,
        ge=0,
        description="how often the brain reads the floor (machines in fault, operators absent, lines"
        " behind) and proposes a reschedule for what the plan in force does not answer; 0: never",
    )
    maintenance_interval_s: float = Field(
        5.0,
        gt=0,
        le=3600,
        description="pause between store upkeep passes (rollups, compaction, retention)",
    )
    retention_raw_days: float | None = Field(
        30, gt=0, description="days raw readings are kept (empty: forever)"
    )
    retention_minute_days: float | None = Field(
        365, gt=0, description="days 1-minute rollups are kept (empty: forever)"
    )
    retention_hour_days: float | None = Field(
        None, gt=0, description="days 1-hour rollups are kept (empty: forever)"
    )
    retention_by_kind: dict[str, dict[str, float | None]] = Field(
        default_factory=dict,
        description='per channel kind, e.g. {"state": {"raw_days": 90}}; kinds: counter, gauge, state',
    )
    duckdb_memory_limit: str = Field(
        MEMORY_LIMIT, pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$", description="the DuckDB buffer pool"
    )
    planned_efficiency: float = Field(
        0.70,
        gt=0,
        le=1.5,
        description="the line efficiency production plans for (0.70 = 70 %): targets per hour are"
        " attended minutes x this / the garment's SAM",
    )
    log_level: str = Field("info", description="debug, info, warning or error")
    token: str | None = Field(
        None,
        description="the API token a client command sends to a running Seamline (simulate --to"
        " http://..., bench query --url): `seamline token create`, or <data-dir>/admin-token of a demo",
    )

    @field_validator("retention_raw_days", "retention_minute_days", "retention_hour_days", mode="before")
    @classmethod
    def _empty_is_forever(cls, value: object) -> object:
        return None if isinstance(value, str) and value.strip().lower() in {"", "forever", "none"} else value

    @field_validator("retention_by_kind")
    @classmethod
    def _known_kinds(cls, value: dict[str, dict[str, float | None]]) -> dict[str, dict[str, float | None]]:
        for kind, horizons in value.items():
            if kind not in _KINDS:
                raise ValueError(f"unknown channel kind {kind!r}; known: {sorted(_KINDS)}")
            unknown = set(horizons) - _HORIZONS
            if unknown:
                raise ValueError(f"{kind}: unknown keys {sorted(unknown)}; known: {sorted(_HORIZONS)}")
            for key, days in horizons.items():
                if days is not None and days <= 0:
                    raise ValueError(f"{kind}.{key} must be positive days, or null for forever")
        return value

    def retention_policy(self) -> RetentionPolicy:
        """The store's retention: the default class from ``retention_*_days``, overridden per kind."""
        default = RetentionClass(
            "default",
            _ms(self.retention_raw_days),
            _ms(self.retention_minute_days),
            _ms(self.retention_hour_days),
        )
        by_kind = {
            kind: RetentionClass(
                kind,
                _ms(h.get("raw_days", self.retention_raw_days)),
                _ms(h.get("minute_days", self.retention_minute_days)),
                _ms(h.get("hour_days", self.retention_hour_days)),
            )
            for kind, h in self.retention_by_kind.items()
        }
        return RetentionPolicy(default=default, by_kind=by_kind)

    @property
    def store_path(self) -> Path:
        return self.data_dir / "seamline.duckdb"

    @property
    def store_spec(self) -> str | Path:
        """What the store is: the PostgreSQL URL when given, else the embedded DuckDB file."""
        return self.store or self.store_path

    @property
    def store_label(self) -> str:
        """The store for messages, without a password."""
        return redact_url(str(self.store_spec))

    @property
    def mqtt_label(self) -> str | None:
        """The MQTT broker for messages, without a password."""
        return None if self.mqtt_url is None else redact_url(self.mqtt_url)


def redact_url(url: str) -> str:
    """``url`` with its password, if any, replaced by ``***``: what banners, logs and errors show.

    Everything between ``//`` and the last ``@`` counts as user information, so a password holding
    ``@`` or ``/`` (not percent-encoded) is masked whole too.

    >>> redact_url("mqtts://ingest:s3cret@broker:8883")
    'mqtts://ingest:***@broker:8883'
    """
    head, slashes, rest = url.partition("//")
    userinfo, at, host = rest.rpartition("@")
    if not slashes or not at or ":" not in userinfo:
        return url
    return f"{head}//{userinfo.partition(':')[0]}:***@{host}"

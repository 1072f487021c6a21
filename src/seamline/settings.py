"""Every setting Seamline reads, declared once: name, type, default and help.

Settings come from the command line or from ``SEAMLINE_*`` environment variables; this is the only
module that reads the environment.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    flush_interval_s: float = Field(0.25, gt=0, le=10, description="how often the writer commits")
    log_level: str = Field("info", description="debug, info, warning or error")

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
        return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", str(self.store_spec))

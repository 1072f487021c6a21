"""The running platform: store, ingest and connectors, with one owner of their lifecycles."""

from __future__ import annotations

import logging
from types import TracebackType

from seamline.ingest.mqtt import MqttIngest
from seamline.ingest.pipeline import Ingestor
from seamline.ingest.sparkplug import SparkplugIngest
from seamline.model.factory import Factory
from seamline.settings import Settings
from seamline.store.select import store_for

log = logging.getLogger(__name__)


class Platform:
    """Opens the store, starts the single writer and the MQTT connector; closes them in reverse.

    >>> with Platform(settings, factory) as p:  # doctest: +SKIP
    ...     p.ingestor.submit_messages(messages)
    """

    def __init__(self, settings: Settings, factory: Factory) -> None:
        self.settings = settings
        self.factory = factory
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = store_for(settings.store_spec)
        self.ingestor = Ingestor(factory, self.store, flush_interval_s=settings.flush_interval_s)
        self.mqtt: MqttIngest | None = None
        self.sparkplug: SparkplugIngest | None = None
        self.final_reading_count: int | None = None

    def __enter__(self) -> Platform:
        self.store.open(self.factory)
        try:
            self.ingestor.start()
            if self.settings.mqtt_url:
                self.mqtt = MqttIngest(self.settings.mqtt_url, self.ingestor, site_id=self.factory.site_id)
                self.mqtt.start()
                if self.settings.sparkplug_group:
                    self.sparkplug = SparkplugIngest(
                        self.settings.mqtt_url,
                        self.ingestor,
                        group_id=self.settings.sparkplug_group,
                        host_id=self.settings.sparkplug_host_id,
                    )
                    self.sparkplug.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop taking data, flush everything accepted, close the store."""
        if self.sparkplug is not None:
            self.sparkplug.stop()
            self.sparkplug = None
        if self.mqtt is not None:
            self.mqtt.stop()
            self.mqtt = None
        self.ingestor.stop()
        self.final_reading_count = self.store.reading_count()
        self.store.close()

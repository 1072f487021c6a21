"""OPC UA connector: PLC-driven machines (cutters, spreaders, fusing presses, compressors) via their
OPC UA servers (IEC 62541), subscribed with asyncua and fed to the :class:`~seamline.ingest.Ingestor`.

>>> from seamline.ingest.opcua import OpcUaConnector, load_opcua_config  # doctest: +SKIP
>>> config = load_opcua_config("opcua.toml", factory)  # doctest: +SKIP
>>> async with OpcUaConnector(config, ingestor) as connector:  # doctest: +SKIP
...     await connector.wait()

The configuration format is in :mod:`seamline.ingest.opcua.config`; sessions, subscriptions and
reconnects in :mod:`seamline.ingest.opcua.link`.
"""

from seamline.ingest.opcua.batching import DeviceBatcher
from seamline.ingest.opcua.config import (
    BrowseMapping,
    NodeMapping,
    OpcUaConfig,
    SecurityConfig,
    ServerConfig,
    load_opcua_config,
    parse_opcua_config,
)
from seamline.ingest.opcua.connector import OpcUaConnector, OpcUaStats
from seamline.ingest.opcua.errors import OpcUaConfigError, OpcUaError, OpcUaNotConfiguredError
from seamline.ingest.opcua.http import router
from seamline.ingest.opcua.link import LinkOptions, ServerStats
from seamline.ingest.opcua.values import reading_ts_ms, reading_value

__all__ = [
    "BrowseMapping",
    "DeviceBatcher",
    "LinkOptions",
    "NodeMapping",
    "OpcUaConfig",
    "OpcUaConfigError",
    "OpcUaConnector",
    "OpcUaError",
    "OpcUaNotConfiguredError",
    "OpcUaStats",
    "SecurityConfig",
    "ServerConfig",
    "ServerStats",
    "load_opcua_config",
    "parse_opcua_config",
    "reading_ts_ms",
    "reading_value",
    "router",
]

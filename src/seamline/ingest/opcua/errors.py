"""Errors of the OPC UA connector: a configuration file that cannot be used, a server that cannot."""

from __future__ import annotations

from seamline.configfile import ConfigFileError
from seamline.ingest.decode import IngestError


class OpcUaError(IngestError):
    """The OPC UA connector cannot do what it was asked (the root of its errors)."""

    reason = "opcua"


class OpcUaConfigError(ConfigFileError, OpcUaError):
    """The OPC UA configuration file cannot be used as it is: names the file, line, field and problem."""

    reason = "opcua_config"


class OpcUaNotConfiguredError(OpcUaError):
    """The platform runs without an OPC UA connector."""

    status_code = 404
    reason = "opcua_not_configured"

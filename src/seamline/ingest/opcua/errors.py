"""Errors of the OPC UA connector: a configuration file that cannot be used, a server that cannot."""

from __future__ import annotations

from seamline.ingest.decode import IngestError


class OpcUaError(IngestError):
    """The OPC UA connector cannot do what it was asked (the root of its errors)."""

    reason = "opcua"


class OpcUaConfigError(OpcUaError):
    """The OPC UA configuration file cannot be used as it is: names the file, line, field and problem."""

    reason = "opcua_config"

    def __init__(self, path: str, line: int | None, field: str, problem: str) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {field}: {problem}" if field else f"{where}: {problem}")
        self.path = path
        self.line = line
        self.field = field
        self.problem = problem

    def details(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "field": self.field}


class OpcUaNotConfiguredError(OpcUaError):
    """The platform runs without an OPC UA connector."""

    status_code = 404
    reason = "opcua_not_configured"

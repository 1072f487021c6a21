"""What the quality capability refuses, with the fields a caller needs to put it right."""

from __future__ import annotations

from seamline.errors import SeamlineError


class QualityError(SeamlineError):
    """The root of the quality capability's errors."""

    reason = "quality_error"


class SamplingInputError(QualityError):
    """A sampling request names a lot size, level, AQL or inspection the standard does not have.

    ``field`` is the parameter, ``value`` what was given and ``allowed`` what the standard allows.
    """

    status_code = 400
    reason = "invalid_sampling_input"
    exit_code = 2  # the command line's usage-error code

    def __init__(self, field: str, value: object, allowed: str) -> None:
        super().__init__(f"{field} {value!r} is not allowed: {allowed}")
        self.field = field
        self.value = value
        self.allowed = allowed

    def details(self) -> dict[str, object]:
        return {"field": self.field, "value": str(self.value), "allowed": self.allowed}


class InspectionInputError(QualityError):
    """An inspection entered by hand names something the line does not have, or does not add up.

    ``field`` is the body's field, ``value`` what was given and ``expected`` what would do.
    """

    status_code = 422
    reason = "invalid_inspection"

    def __init__(self, field: str, value: object, expected: str) -> None:
        super().__init__(f"{field} {value!r}: {expected}" if value is not None else f"{field}: {expected}")
        self.field = field
        self.value = value
        self.expected = expected

    def details(self) -> dict[str, object]:
        return {
            "field": self.field,
            "value": None if self.value is None else str(self.value),
            "expected": self.expected,
        }


class SwitchingError(QualityError):
    """A lot cannot move the switching state of its stream (ISO 2859-1 clause 9)."""

    status_code = 409
    reason = "switching_refused"

    def __init__(self, stream: str, message: str, *, reason: str | None = None) -> None:
        super().__init__(f"stream {stream!r}: {message}", reason=reason)
        self.stream = stream

    def details(self) -> dict[str, object]:
        return {"stream": self.stream}


class InspectionDiscontinuedError(SwitchingError):
    """Five lots were not accepted on tightened inspection: sampling stops (ISO 2859-1 9.4)."""

    reason = "inspection_discontinued"

    def __init__(self, stream: str) -> None:
        super().__init__(
            stream,
            "acceptance inspection is discontinued after 5 lots not accepted on tightened inspection"
            " (ISO 2859-1 9.4); resume it, on tightened inspection, once the supplier has acted on quality",
        )

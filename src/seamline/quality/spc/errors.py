"""The error of statistical process control: data that cannot be charted, a rule that does not exist."""

from __future__ import annotations

from seamline.errors import SeamlineError


class SpcError(SeamlineError):
    """Data or a baseline that a control chart cannot be built from, or an unknown Nelson rule.

    ``chart`` names the chart (``"xbar_r"``, ``"imr"``, ``"p"``, ``"u"``, or ``None`` for the rules),
    ``field`` the argument at fault and ``index`` the subgroup or sample in it, when there is one.
    ``reason`` is ``"spc_input"`` for data that breaks a chart's assumptions and ``"no_variation"``
    when the data has no spread to estimate sigma from (every range 0, no defect at all).
    """

    status_code = 422
    reason = "spc_input"

    def __init__(
        self,
        message: str,
        *,
        chart: str | None,
        field: str,
        index: int | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message, reason=reason)
        self.chart = chart
        self.field = field
        self.index = index

    def details(self) -> dict[str, object]:
        return {"chart": self.chart, "field": self.field, "index": self.index}

"""Quality: statistical process control (``seamline.quality.spc``)."""

from seamline.quality.spc import NelsonMonitor, imr_chart, nelson_violations, p_chart, u_chart, xbar_r_chart

__all__ = ["NelsonMonitor", "imr_chart", "nelson_violations", "p_chart", "u_chart", "xbar_r_chart"]

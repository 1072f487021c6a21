"""Production management: live line and machine states (more KPIs arrive with later work)."""

from seamline.production.states import LineStates, MachineStatus, line_states

__all__ = ["LineStates", "MachineStatus", "line_states"]

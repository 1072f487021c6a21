"""Tunable rates of the floor twin, and the error it raises for a setup it cannot run.

The defaults describe an ordinary day on a knit/woven sewing floor; tests turn single rates up
(controller resets, breakdowns) to see rare behaviour in a few simulated minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

from seamline.errors import SeamlineError


class SimulationError(SeamlineError):
    """The simulation cannot be set up as asked; ``field`` names the argument that is wrong."""

    reason = "simulation"

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem

    def details(self) -> dict[str, object]:
        return {"field": self.field}


@dataclass(frozen=True, slots=True)
class SimConfig:
    """Rates and sizes of the floor model. Every rate is per device unless it says otherwise.

    Fault rates are per *running* hour of a machine: a thread breaks every ~15 running minutes
    (``thread_break_per_run_h``), a needle about once a shift of running; breakdowns follow each
    machine type's ``mtbf_h`` / ``mttr_min`` scaled by ``breakdown_scale``. Quality rates give an
    end-of-line DHU of about 3-8 % (DHU = defects x 100 / pieces checked, apparel-domain.md 2.4).

    With ``initial_wip`` (the default) the run starts in the middle of each line's order: at its first
    shift a line already holds ``wip_bundles_per_station`` bundles per staffed seat, partly sewn, the
    first bundles of its order, queued at every operation (:mod:`seamline.sim.wip`); and operators
    resume the style where they left it yesterday, ``learning_resume_days`` of output along the
    learning curve. Without it, lines start empty and the style is fairly new
    (``learning_start_pieces``). A changeover to another style restarts learning either way.

    Shifts follow the factory's calendar (``Factory.shift_start``, ``shift_minutes``, ``timezone``)
    unless one of two calendars for runs that must be busy at once is chosen: ``shift_from_start``
    (the first shift begins at ``start``, the next ones a day later) or ``demo_calendar`` (the demo
    floor never sleeps: shifts of the factory's length follow each other around the clock, and
    ``start`` falls ``demo_shift_elapsed_min`` into one, with its operators already at work).
    """

    telemetry: bool = True  # False: run the floor only (fast what-if runs); advance() returns []
    shift_from_start: bool = False  # True: the first shift starts at `start`, whatever the factory's clock
    demo_calendar: bool = False  # True: back-to-back shifts, `start` in the middle of one (the demo)
    demo_shift_elapsed_min: float = 120.0  # with demo_calendar: how long the shift has run at `start`
    initial_wip: bool = True  # lines start mid-order: yesterday's bundles queued at every operation
    controller_reset_per_h: float = 0.02  # per device and wall hour: about one reboot in two days
    clock_skew_ms: int = 150  # device clocks are off by up to this much, either way
    thread_break_per_run_h: float = 4.0
    thread_repair_s: float = 35.0  # mean time to re-thread
    needle_break_per_run_h: float = 0.15
    needle_repair_s: float = 180.0  # change the needle, find and report the fragments
    bobbin_stitches: int = 60_000  # a full bobbin on lockstitch machines
    breakdown_scale: float = 1.0  # multiplies 1 / MachineType.mtbf_h
    learning_plateau_pieces: int = 1500  # Wright curve reaches the operator's skill here
    learning_start_pieces: tuple[int, int] = (150, 600)  # on the day-1 style, without initial_wip
    learning_resume_days: tuple[float, float] = (2.0, 8.0)  # days on the day-1 style, with initial_wip
    learning_new_style_pieces: tuple[int, int] = (10, 40)  # after a changeover
    piece_time_sigma: float = 0.15  # log-normal spread of one piece's cycle time
    wip_bundles_per_station: float = 1.5  # bundles in a line per staffed station (fed, and at the start)
    bundle_handling_s: float = 45.0  # mean off-standard time per bundle and operation (PBS handling)
    personal_time_share: float = 0.1  # off-standard personal time of an operator, in short breaks
    no_feeding_after_s: float = 300.0  # an idle operator opens a no_feeding downtime after this
    changeover_min: float = 45.0
    inline_check_share: float = 0.2  # share of (bundle, operation) completions checked inline
    inline_sample_pieces: int = 5
    inline_defects_per_piece: float = 0.05
    end_of_line_defects_per_piece: float = 0.05

    def check(self) -> None:
        """Raise :class:`SimulationError` when a rate or size is out of its range."""
        if self.shift_from_start and self.demo_calendar:
            raise SimulationError(
                "config.demo_calendar", "choose one calendar: shift_from_start or demo_calendar, not both"
            )
        rates = {
            "controller_reset_per_h": self.controller_reset_per_h,
            "thread_break_per_run_h": self.thread_break_per_run_h,
            "needle_break_per_run_h": self.needle_break_per_run_h,
            "breakdown_scale": self.breakdown_scale,
            "inline_defects_per_piece": self.inline_defects_per_piece,
            "end_of_line_defects_per_piece": self.end_of_line_defects_per_piece,
            "clock_skew_ms": self.clock_skew_ms,
            "demo_shift_elapsed_min": self.demo_shift_elapsed_min,
        }
        for name, value in rates.items():
            if value < 0:
                raise SimulationError(f"config.{name}", f"must be >= 0, got {value}")
        if not 0.0 <= self.inline_check_share <= 1.0:
            raise SimulationError(
                "config.inline_check_share", f"must be within 0..1, got {self.inline_check_share}"
            )
        positive = {
            "thread_repair_s": self.thread_repair_s,
            "needle_repair_s": self.needle_repair_s,
            "bobbin_stitches": self.bobbin_stitches,
            "learning_plateau_pieces": self.learning_plateau_pieces,
            "wip_bundles_per_station": self.wip_bundles_per_station,
            "no_feeding_after_s": self.no_feeding_after_s,
            "inline_sample_pieces": self.inline_sample_pieces,
        }
        for name, value in positive.items():
            if value <= 0:
                raise SimulationError(f"config.{name}", f"must be > 0, got {value}")
        if not 0.0 <= self.personal_time_share < 0.5:
            raise SimulationError(
                "config.personal_time_share", f"must be within 0..0.5, got {self.personal_time_share}"
            )
        if self.bundle_handling_s < 0:
            raise SimulationError("config.bundle_handling_s", f"must be >= 0, got {self.bundle_handling_s}")
        if self.changeover_min < 0:
            raise SimulationError("config.changeover_min", f"must be >= 0, got {self.changeover_min}")
        for name, (lo, hi) in (
            ("learning_start_pieces", self.learning_start_pieces),
            ("learning_new_style_pieces", self.learning_new_style_pieces),
        ):
            if not 1 <= lo <= hi:
                raise SimulationError(
                    f"config.{name}", f"must be (low, high) with 1 <= low <= high, got {(lo, hi)}"
                )
        lo_d, hi_d = self.learning_resume_days
        if not 0 < lo_d <= hi_d:
            raise SimulationError(
                "config.learning_resume_days",
                f"must be (low, high) with 0 < low <= high, got {(lo_d, hi_d)}",
            )

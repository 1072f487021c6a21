"""A machine on the floor: running bursts, and the faults that interrupt them.

Fault clocks count *running* seconds: thread breaks and needle breaks (sewing machines), an empty
bobbin (lockstitch machines), and breakdowns drawn from ``MachineType.mtbf_h`` with repairs of mean
``MachineType.mttr_min``. Codes follow the SilverStar SCS controller taxonomy (apparel-domain.md
1.1): warnings 1-10 (4 bobbin counter, 5 upper-thread break; we use 10 for the needle detector),
errors 101-199.
"""

from __future__ import annotations

import math
import random
from collections.abc import Generator
from typing import Any

import simpy

from seamline.model.factory import MachineType
from seamline.sim.config import SimConfig
from seamline.sim.recorder import FAULT, IDLE, RUNNING, DeviceRecorder
from seamline.sim.truth import TruthLedger

Steps = Generator[Any, Any, Any]

WARN_BOBBIN = 4
WARN_THREAD = 5
WARN_NEEDLE = 10
ERRORS: tuple[tuple[int, str], ...] = (
    (101, "AC over-voltage"),
    (103, "bus over-voltage"),
    (106, "bus over-current"),
    (107, "overload"),
    (108, "motor overload"),
    (109, "motor start failure"),
    (110, "synchroniser signal missing"),
    (111, "UVW encoder fault"),
    (112, "synchroniser signal missing"),
    (113, "solenoid over-current"),
    (114, "abnormal motor angle"),
    (126, "parameter fault"),
    (128, "panel communication fault"),
)
_ERROR_WEIGHTS = (3, 2, 2, 6, 4, 5, 4, 3, 3, 4, 2, 1, 1)
_INF = math.inf


class Machine:
    """Fault clocks and SimPy steps of one machine; ``workstation`` names it in downtime events."""

    def __init__(
        self,
        env: simpy.Environment,
        rec: DeviceRecorder,
        mt: MachineType,
        cfg: SimConfig,
        rng: random.Random,
        truth: TruthLedger,
        *,
        workstation: str,
        sewing: bool,
        bobbin: bool,
    ) -> None:
        self.env = env
        self.rec = rec
        self.cfg = cfg
        self.rng = rng
        self.truth = truth
        self.workstation = workstation
        self.thread_rate = cfg.thread_break_per_run_h / 3600.0 if sewing else 0.0
        self.needle_rate = cfg.needle_break_per_run_h / 3600.0 if sewing else 0.0
        self.breakdown_rate = cfg.breakdown_scale / (mt.mtbf_h * 3600.0) if mt.mtbf_h else 0.0
        self.mttr_s = (mt.mttr_min or 20.0) * 60.0
        self.bobbin = bobbin
        self.thread_left = self._clock(self.thread_rate)
        self.needle_left = self._clock(self.needle_rate)
        self.breakdown_left = self._clock(self.breakdown_rate)

    def _clock(self, rate: float) -> float:
        return self.rng.expovariate(rate) if rate > 0 else _INF

    def run(self, duration_s: float) -> Steps:
        """Run for ``duration_s`` seconds of running time (faults add their repair time); returns stitches."""
        env, rec = self.env, self.rec
        rec.set_state(env.now, RUNNING)
        per_s = rec.speed_spm / 60.0
        left = duration_s
        stitches = 0.0
        while left > 1e-9:
            bobbin_s = (self.cfg.bobbin_stitches - rec.bobbin_used) / per_s if self.bobbin else _INF
            nxt = min(self.thread_left, self.needle_left, self.breakdown_left, max(bobbin_s, 0.0))
            step = min(left, nxt)
            if step > 0:
                yield env.timeout(step)
            self.thread_left -= step
            self.needle_left -= step
            self.breakdown_left -= step
            stitches += step * per_s
            if self.bobbin:
                rec.bobbin_used += step * per_s
            left -= step
            if step < nxt:
                break
            if self.breakdown_left <= 0:
                yield from self.breakdown()
            elif self.needle_left <= 0:
                yield from self._warning(
                    WARN_NEEDLE, "needle break", self.cfg.needle_repair_s, "needle_break_count"
                )
                self.needle_left = self._clock(self.needle_rate)
            elif self.thread_left <= 0:
                yield from self._warning(
                    WARN_THREAD, "upper thread break", self.cfg.thread_repair_s, "thread_break_count"
                )
                self.thread_left = self._clock(self.thread_rate)
            else:
                yield from self._warning(
                    WARN_BOBBIN, "bobbin counter: change the bobbin", 25.0, "bobbin_count"
                )
                rec.bobbin_used = 0.0
            if left > 1e-9:
                rec.set_state(env.now, RUNNING)
        if rec.state != IDLE:
            rec.set_state(env.now, IDLE)
        return stitches

    def _warning(self, code: int, text: str, mean_s: float, counter: str) -> Steps:
        env, rec = self.env, self.rec
        rec.event(env.now, "fault", code=code, severity="warning", text=text)
        rec.set_state(env.now, FAULT, fault=code, warning=code)
        rec.count(env.now, counter)
        downtime = "needle_break" if code == WARN_NEEDLE else ""
        if downtime:
            rec.event(env.now, "downtime", reason=downtime, workstation=self.workstation)
            self.truth.stop_began(self.workstation, downtime, env.now)
        began = env.now
        yield env.timeout(mean_s * self.rng.lognormvariate(-0.18, 0.6))
        rec.event(env.now, "fault_cleared", code=code)
        rec.set_state(env.now, IDLE)
        if downtime:
            self.truth.stop_ended(self.workstation, downtime, env.now)
            rec.event(
                env.now,
                "downtime",
                reason=downtime,
                workstation=self.workstation,
                duration_s=round(env.now - began, 1),
            )

    def breakdown(self) -> Steps:
        """An error stops the machine until a mechanic repairs it (downtime ``machine_breakdown``)."""
        env, rec = self.env, self.rec
        code, text = self.rng.choices(ERRORS, weights=_ERROR_WEIGHTS)[0]
        rec.event(env.now, "fault", code=code, severity="error", text=text)
        rec.set_state(env.now, FAULT, fault=code)
        rec.event(env.now, "downtime", reason="machine_breakdown", workstation=self.workstation)
        self.truth.breakdowns += 1
        self.truth.stop_began(self.workstation, "machine_breakdown", env.now)
        began = env.now
        yield env.timeout(max(120.0, self.rng.expovariate(1.0 / self.mttr_s)))
        rec.event(env.now, "fault_cleared", code=code)
        rec.set_state(env.now, IDLE)
        duration = round(env.now - began, 1)
        self.truth.stop_ended(self.workstation, "machine_breakdown", env.now)
        rec.event(
            env.now, "downtime", reason="machine_breakdown", workstation=self.workstation, duration_s=duration
        )
        self.breakdown_left = self._clock(self.breakdown_rate)

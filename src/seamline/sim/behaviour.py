"""How each sensor channel behaves: which floor quantity drives it, its levels, noise and drift.

A channel is classified once, by machine category and name, into a :class:`Behaviour`. Gauges follow

    value = base + a_on * ON + a_run * RUN + drift + noise * (sd + sd_on * ON + sd_run * RUN)

where ON/RUN are 0/1 at the sampling instant (``Activity.SAMPLE``: motor speed, currents), slow
exponential averages of being on / running (``Activity.HEAT``: temperatures), or the load of the
circuit or zone a gateway channel watches (``Activity.CIRCUIT``), then clipped to the channel's
[low, high] and quantised to its resolution. Counters integrate rates over on/running time or are
stepped by floor events (pieces, trims, scans). Names are the ones of the reference factory's
channel sets; unknown channels get a plausible generic behaviour from their kind, name and range.

Sources for the levels: SilverStar SCS controller docs and the AquaSew firmware (apparel-domain.md
1.1) for counters and codes; typical industrial sewing servo data (250-550 W, 2,000-5,000 spm).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import IntEnum

from seamline.model.factory import ChannelKind, ChannelSpec, DeviceCategory, MachineType


class Source(IntEnum):
    GAUGE = 0
    COUNTER = 1
    STATE = 2  # runtime_state: MachineState code
    FAULT = 3  # active fault code (warning or error), 0 when none
    WARNING = 4  # active warning code 1-10, 0 when none
    PRESENT = 5  # operator logged in at the machine
    RUNNING = 6  # 1 while running (a compressor's "loaded")
    BOOL = 7  # a digital input that flips now and then
    CONST = 8  # a setting: program / pattern number
    DERIVED = 9  # an aggregate the box computes over its last snapshot window


class Activity(IntEnum):
    NONE = 0
    SAMPLE = 1
    HEAT = 2
    CIRCUIT = 3


@dataclass(frozen=True, slots=True)
class Behaviour:
    source: Source
    activity: Activity = Activity.NONE
    base: float = 0.0
    a_on: float = 0.0
    a_run: float = 0.0
    sd: float = 0.0
    sd_on: float = 0.0
    sd_run: float = 0.0
    drift_sd: float = 0.0  # slow wander (AR(1), 30 min time constant)
    offset_sd: float = 0.0  # fixed per-device offset of base
    gain_sd: float = 0.0  # per-device relative spread of a_run (and of counter rates)
    # counters: increment per second of wall / on / running time, or per stitch
    r_wall: float = 0.0
    r_on: float = 0.0
    r_run: float = 0.0
    per_stitch: float = 0.0
    power_link: str = ""  # integrate this gauge channel (times power_scale) instead of fixed rates
    power_scale: float = 0.0
    init_max: float = 1e5  # counters start at a random lifetime value below this
    # digital inputs: probability per publish interval of switching on / off / with activity
    p_init: float = 0.0
    p_on: float = 0.0
    p_off: float = 0.0
    p_active: float = 0.0
    derived: str = ""


def _g(
    base: float = 0.0,
    on: float = 0.0,
    run: float = 0.0,
    *,
    act: Activity = Activity.SAMPLE,
    sd: float = 0.0,
    sd_on: float = 0.0,
    sd_run: float = 0.0,
    drift_sd: float = 0.0,
    offset_sd: float = 0.0,
    gain_sd: float = 0.0,
) -> Behaviour:
    return Behaviour(
        Source.GAUGE,
        act,
        base,
        on,
        run,
        sd,
        sd_on,
        sd_run,
        drift_sd=drift_sd,
        offset_sd=offset_sd,
        gain_sd=gain_sd,
    )


def _c(
    *,
    r_wall: float = 0.0,
    r_on: float = 0.0,
    r_run: float = 0.0,
    per_stitch: float = 0.0,
    power_link: str = "",
    power_scale: float = 0.0,
    init_max: float = 1e5,
    gain_sd: float = 0.0,
) -> Behaviour:
    return Behaviour(
        Source.COUNTER,
        gain_sd=gain_sd,
        r_wall=r_wall,
        r_on=r_on,
        r_run=r_run,
        per_stitch=per_stitch,
        power_link=power_link,
        power_scale=power_scale,
        init_max=init_max,
    )


def _b(p_init: float, p_on: float, p_off: float, p_active: float = 0.0) -> Behaviour:
    return Behaviour(Source.BOOL, p_init=p_init, p_on=p_on, p_off=p_off, p_active=p_active)


_HEAT = Activity.HEAT
_CIRCUIT = Activity.CIRCUIT
_NONE = Activity.NONE

# The sewing_controller channel set (servo controller + IoT box), keyed by name.
_SEWING: dict[str, Behaviour] = {
    "stitch_count": _c(per_stitch=1.0, init_max=5e7),
    "service_count": _c(per_stitch=0.01, init_max=5e5),  # +1 every A62 = 100 stitches
    "knife_cycle_count": _c(per_stitch=1.0, init_max=5e7),
    "run_time_s": _c(r_run=1.0, init_max=3e6),
    "power_on_s": _c(r_on=1.0, init_max=8e6),
    "uptime_s": _c(r_wall=1.0, init_max=2e6),
    "energy_wh": _c(power_link="power_w", power_scale=1 / 3600, init_max=5e5),
    "piece_count": _c(init_max=5e4),
    "trim_count": _c(init_max=2e5),
    "foot_lift_count": _c(init_max=3e5),
    "backtack_count": _c(init_max=4e5),
    "bobbin_count": _c(init_max=3e3),
    "thread_break_count": _c(init_max=2e3),
    "needle_break_count": _c(init_max=50),
    "cycle_count": _c(init_max=1e5),
    "knife_count": _c(init_max=1e5),
    "stacker_count": _c(init_max=1e5),
    "motor_speed_spm": _g(run=3300, sd_run=90, gain_sd=0.12),
    "motor_current_a": _g(on=0.08, run=1.5, sd_on=0.01, sd_run=0.12, gain_sd=0.12),
    "motor_torque_pct": _g(run=32, sd_run=5, gain_sd=0.15),
    "power_w": _g(on=9, run=260, sd_on=0.4, sd_run=18, gain_sd=0.12),
    "pedal_position_pct": _g(run=72, sd_run=9, gain_sd=0.08),
    "solenoid_current_a": _g(on=0.04, run=0.45, sd_on=0.005, sd_run=0.08),
    "vibration_x_mm_s": _g(on=0.15, run=2.2, sd_on=0.03, sd_run=0.3, gain_sd=0.25),
    "vibration_y_mm_s": _g(on=0.15, run=1.8, sd_on=0.03, sd_run=0.3, gain_sd=0.25),
    "vibration_z_mm_s": _g(on=0.1, run=1.2, sd_on=0.03, sd_run=0.2, gain_sd=0.25),
    "upper_thread_tension_cn": _g(50, run=45, sd=1.5, sd_run=5, offset_sd=4),
    "trimmer_current_a": _g(on=0.02, run=0.35, sd_run=0.08),
    "chain_cutter_current_a": _g(on=0.02, run=0.35, sd_run=0.08),
    "x_axis_current_a": _g(on=0.3, run=1.5, sd_on=0.03, sd_run=0.3),
    "y_axis_current_a": _g(on=0.3, run=1.5, sd_on=0.03, sd_run=0.3),
    "knife_solenoid_current_a": _g(on=0.05, run=0.8, sd_run=0.15),
    "axis_#_position_mm": _g(40, run=260, sd_run=110),
    "axis_#_speed_mm_s": _g(run=320, sd_run=110),
    "axis_#_current_a": _g(on=0.4, run=2.4, sd_on=0.05, sd_run=0.5),
    "motor_temp_c": _g(28, 6, 35, act=_HEAT, sd=0.15, offset_sd=1.5, drift_sd=0.5),
    "controller_temp_c": _g(29, 7, 12, act=_HEAT, sd=0.1, offset_sd=1.5, drift_sd=0.5),
    "needle_temp_c": _g(28, 2, 150, act=_HEAT, sd=1.5, offset_sd=5, drift_sd=1),
    "box_temp_c": _g(30, 3, 5, act=_HEAT, sd=0.1, offset_sd=1.5, drift_sd=0.5),
    "looper_temp_c": _g(28, 5, 45, act=_HEAT, sd=0.3, offset_sd=2, drift_sd=0.5),
    "rssi_dbm": _g(-63, act=_NONE, sd=1.5, offset_sd=6, drift_sd=2),
    "cpu_load_pct": _g(18, act=_NONE, sd=4, drift_sd=3),
    "msg_queue_depth": _g(1, act=_NONE, sd=0.8),
    "oil_level_pct": _g(72, act=_NONE, sd=0.2, offset_sd=8, drift_sd=1),
    "speed_avg_spm": Behaviour(Source.DERIVED, derived="speed_avg"),
    "speed_max_spm": Behaviour(Source.DERIVED, derived="speed_max"),
    "sew_burst_count": Behaviour(Source.DERIVED, derived="burst_count"),
    "sew_burst_avg_s": Behaviour(Source.DERIVED, derived="burst_avg"),
    "idle_gap_avg_s": Behaviour(Source.DERIVED, derived="idle_gap_avg"),
    "stitches_per_piece": Behaviour(Source.DERIVED, derived="stitches_per_piece"),
    "needle_time_pct": Behaviour(Source.DERIVED, derived="needle_time"),
    "bobbin_remaining_pct": Behaviour(Source.DERIVED, derived="bobbin_remaining"),
}

# Channels of any category, keyed by name with digit runs replaced by '#'.
_ANY: dict[str, Behaviour] = {
    "runtime_state": Behaviour(Source.STATE),
    "fault_code": Behaviour(Source.FAULT),
    "warning_code": Behaviour(Source.WARNING),
    "operator_present": Behaviour(Source.PRESENT),
    "loaded": Behaviour(Source.RUNNING),
    "program_no": Behaviour(Source.CONST),
    "pattern_no": Behaviour(Source.CONST),
    "alarm_bit_#": _b(0.0, 2e-5, 0.05),
    "io_input_#": _b(0.3, 0.002, 0.004),
    "io_#": _b(0.3, 0.002, 0.004),
    "sensor_#": _b(0.3, 0.002, 0.004),
    "cylinder_#_extended": _b(0.5, 0.0, 0.0, p_active=0.35),
    "breaker_closed": _b(1.0, 0.5, 1e-7),
    "c#_breaker_closed": _b(1.0, 0.5, 1e-7),
    "online": _b(1.0, 0.2, 2e-5),
    "bobbin_thread_sensor": _b(1.0, 0.3, 2e-4),
    "run_time_s": _c(r_run=1.0, init_max=3e6),
    "load_time_s": _c(r_run=1.0, init_max=2e7),
    "load_cycles": _c(r_run=1 / 60, init_max=5e5),
    "ply_count": _c(r_run=0.04, init_max=5e5),
    "spread_length_m": _c(r_run=0.6, init_max=5e6),
    "cut_length_m": _c(r_run=0.35, init_max=5e6),
    "marker_count": _c(r_run=1 / 1200, init_max=2e4),
    "bite_count": _c(r_run=1 / 90, init_max=3e5),
    "sharpening_count": _c(r_run=1 / 45, init_max=5e5),
    "parts_count": _c(r_run=0.8, init_max=5e6),
    "steam_shots": _c(r_run=0.25, init_max=2e6),
    "valve_#_cycles": _c(r_run=0.25, gain_sd=0.5, init_max=1e6),
    "scan_count": _c(init_max=1e5),
    "scan_error_count": _c(init_max=500),
    "read_count": _c(init_max=2e4),
    "reject_count": _c(init_max=100),
    "c#_energy_kwh": _c(power_link="c#_active_power_kw", power_scale=1 / 3600, init_max=5e4),
    "c#_current_a": _g(1.5, run=14, act=_CIRCUIT, sd=0.05, sd_run=0.8),
    "c#_active_power_kw": _g(0.3, run=3.1, act=_CIRCUIT, sd=0.01, sd_run=0.15),
    "c#_reactive_power_kvar": _g(0.1, run=1.3, act=_CIRCUIT, sd=0.01, sd_run=0.08),
    "c#_demand_kw": _g(0.3, run=3.1, act=_CIRCUIT, sd=0.02, sd_run=0.05),
    "c#_voltage_v": _g(228, act=_NONE, sd=0.6, drift_sd=1.5, offset_sd=1),
    "c#_power_factor": _g(0.88, act=_NONE, sd=0.005, drift_sd=0.03, offset_sd=0.03),
    "c#_thd_pct": _g(3, run=2.5, act=_CIRCUIT, sd=0.2, drift_sd=0.5),
    "z#_noise_dba": _g(71, run=11, act=_CIRCUIT, sd=0.8, offset_sd=1),
    "z#_pm#_ug_m#": _g(22, run=40, act=_CIRCUIT, sd=2, drift_sd=5, offset_sd=3),
    "queue_depth": _g(1, act=_NONE, sd=0.8),
    "battery_pct": _g(75, act=_NONE, sd=0.3, offset_sd=12, drift_sd=5),
    "carriage_speed_m_min": _g(run=45, sd_run=5),
    "carriage_position_m": _g(1, run=9, sd_run=5),
    "fabric_tension_n": _g(on=4, run=12, sd_run=2),
    "knife_rpm": _g(run=4200, sd_run=150, gain_sd=0.05),
    "head_x_mm": _g(100, run=1000, sd_run=500),
    "head_y_mm": _g(100, run=800, sd_run=400),
    "cut_speed_mm_s": _g(run=450, sd_run=80),
    "vacuum_blower_kw": _g(on=4, run=11, sd_on=0.1, sd_run=0.3),
    "belt_speed_m_min": _g(on=6, sd_on=0.05),
    "heater_#_current_a": _g(on=8, sd_on=0.5, gain_sd=0.1),
    "heater_current_a": _g(on=3, run=5, sd_on=0.2, sd_run=0.4),
}

_SAMPLE_WORDS = ("current", "speed", "rpm", "power", "torque", "_kw", "vibration")
_DIGITS = re.compile(r"\d+")
_CIRCUIT_NO = re.compile(r"^[a-z](\d+)_")


def stem(name: str) -> str:
    """The channel name with each run of digits replaced by '#': ``io_input_07`` -> ``io_input_#``."""
    return _DIGITS.sub("#", name)


def circuit_number(name: str) -> int:
    """The circuit / zone number of a gateway channel (``c07_current_a`` -> 7), or -1."""
    m = _CIRCUIT_NO.match(name)
    return int(m.group(1)) if m else -1


def behaviour(mt: MachineType, ch: ChannelSpec) -> Behaviour:
    """Classify one channel of a machine type: by its name first, else by kind, name and range."""
    return _named(mt, ch) or _generic(ch)


def _named(mt: MachineType, ch: ChannelSpec) -> Behaviour | None:
    key = stem(ch.name)
    if mt.category is DeviceCategory.SEWING and (ch.name in _SEWING or key in _SEWING):
        return _SEWING.get(ch.name) or _SEWING[key]
    if ch.name == "run_time_s" and "load_time_s" in mt.channel_index:
        return _c(r_on=1.0, init_max=3e7)  # a compressor's run time counts unloaded running too
    if ch.name == "energy_wh":
        return _energy(mt)
    return _ANY.get(ch.name) or _ANY.get(key)


def _generic(ch: ChannelSpec) -> Behaviour:
    span = ch.high - ch.low
    if ch.kind is ChannelKind.COUNTER:
        return _c(r_run=0.2)
    if ch.kind is ChannelKind.STATE:
        return _b(0.3, 0.002, 0.004) if ch.low == 0 and ch.high == 1 else Behaviour(Source.CONST)
    if "vacuum" in ch.name:  # negative pressure: weak at rest, strong while the pump works
        return _g(ch.high - 0.1 * span, run=-0.55 * span, sd=0.01 * span, sd_run=0.02 * span)
    if "temp" in ch.name:
        return replace(
            _g(ch.low + 0.05 * span, 0.5 * span, 0.3 * span, act=_HEAT),
            sd=0.004 * span,
            offset_sd=0.03 * span,
            drift_sd=0.02 * span,
        )
    if any(w in ch.name for w in _SAMPLE_WORDS) and not ch.name.endswith(("_ratio", "_factor")):
        return _g(ch.low, 0.15 * span, 0.55 * span, sd_on=0.01 * span, sd_run=0.05 * span)
    return _g(ch.low + 0.5 * span, act=_NONE, sd=0.01 * span, drift_sd=0.06 * span, offset_sd=0.05 * span)


def _energy(mt: MachineType) -> Behaviour:
    for name, scale in (
        ("power_w", 1 / 3600),
        ("motor_power_kw", 1000 / 3600),
        ("vacuum_blower_kw", 1000 / 3600),
    ):
        if name in mt.channel_index:
            return _c(power_link=name, power_scale=scale, init_max=5e6)
    return _c(r_on=1500 / 3600, r_run=1500 / 3600, init_max=5e6)

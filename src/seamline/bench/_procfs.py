"""What a benchmark reads about another process and its files: peak RSS, CPU time, bytes on disk.

Linux only (``/proc``), which is where the benchmarks run; no psutil needed.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

_CLOCK_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def peak_rss_bytes(pid: int) -> int:
    """The process's high-water mark of resident memory (``VmHWM``), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024  # the kernel reports kB
    raise ValueError(f"/proc/{pid}/status has no VmHWM line")


def cpu_s(pid: int) -> float:
    """User plus system CPU time the process has used so far, in seconds."""
    text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    fields = text[text.rindex(")") + 2 :].split()  # the command name may contain spaces
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / _CLOCK_TICKS_PER_S


def host_busy_cpu_s() -> float:
    """CPU time every process on the machine has used since boot (all but idle and iowait), in s.

    The difference over a span, minus the peer's and our own, shows how much other work competed
    for the cores (the benchmark box is shared).
    """
    fields = Path("/proc/stat").read_text(encoding="ascii").split("\n", 1)[0].split()[1:]
    ticks = [int(f) for f in fields[:8]]  # user nice system idle iowait irq softirq steal
    return (sum(ticks) - ticks[3] - ticks[4]) / _CLOCK_TICKS_PER_S


def vm_rows_on_disk(data_dir: Path) -> int:
    """Rows in VictoriaMetrics' file parts under ``data_dir`` (``data/{small,big}/YYYY_MM/``).

    A 1.79 part directory is named ``{rows}_{blocks}_{min ts}_{max ts}_{suffix}``; parts still in
    memory have no directory yet, and unfinished merges write under ``tmp/``.
    """
    rows = 0
    for part in data_dir.glob("*/[0-9][0-9][0-9][0-9]_[0-9][0-9]/*_*_*"):
        head = part.name.split("_", 1)[0]
        if head.isdigit() and part.is_dir():
            rows += int(head)
    return rows


def dir_bytes(path: Path) -> int:
    """Apparent size of every regular file under ``path`` (files vanishing meanwhile are skipped)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                st = os.lstat(os.path.join(root, name))
            except FileNotFoundError:  # a merge removed it between listing and stat
                continue
            if stat.S_ISREG(st.st_mode):
                total += st.st_size
    return total


def reset_peak_rss() -> bool:
    """Reset this process's ``VmHWM`` to its current RSS (``/proc/self/clear_refs``, Linux 4.0+),
    so that a later :func:`peak_rss_bytes` is the peak of what came after; ``False`` if refused."""
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        return False
    return True


def listening_pid(port: int) -> int | None:
    """The process listening on TCP ``port`` (IPv4 or IPv6), if it is one this user may look into.

    ``/proc/net/tcp{,6}`` gives the listening socket's inode; the process is the one holding a
    descriptor on ``socket:[inode]``.
    """
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for row in Path(table).read_text(encoding="ascii").splitlines()[1:]:
                f = row.split()
                if int(f[1].rsplit(":", 1)[1], 16) == port and f[3] == "0A":  # 0A: LISTEN
                    inodes.add(f"socket:[{f[9]}]")
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (proc / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in inodes:
                        return int(proc.name)
    return None

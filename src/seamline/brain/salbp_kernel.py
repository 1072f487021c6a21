"""The compiled heart of the SALBP search: can these tasks fit into M stations of cycle time C?

A station-oriented depth-first branch and bound in the manner of Scholl & Klein's SALOME: stations
are filled one after the other with *maximal* loads only (Jackson's dominance rule: a load to which
another ready task could still be added is never closed), each load enumerated once by adding
tasks in increasing order of a topological numbering. A branch is cut when

- a task's latest station (M minus its tail - its time plus every successor's - over C) has passed,
- the work left, grouped by latest station, cannot fit into the stations left before that deadline,
- the bin-packing bounds on the work left (its sum over C; its tasks above C/2, half those at C/2)
  need more stations than are left, or
- the same set of placed tasks has already failed from the same or an earlier station (a
  transposition table keyed on a Zobrist hash of the placed set).

Everything is plain integer arrays so that numba compiles it (``cache=True``: the first call in a
fresh environment compiles for a few seconds, later processes load the cached machine code). The
search stops after ``budget`` nodes and says so: the caller grows budgets, never a wall clock, so
that the same inputs always give the same answer.
"""

from __future__ import annotations

import numpy as np
from numba import njit

FOUND = 1
FAILED = 0
ABORTED = -1

TABLE_BITS = 20
"""The transposition table holds 2**TABLE_BITS placed sets (12 bytes each)."""


@njit(cache=True)
def _remaining_bound(
    k: int, m: int, c: int, times: np.ndarray, latest: np.ndarray, assigned: np.ndarray, bucket: np.ndarray
) -> bool:
    """True when the unplaced tasks can still fit into stations k..m-1 as far as the bounds can tell."""
    n = times.shape[0]
    for s in range(m):
        bucket[s] = 0
    total = 0
    big = 0
    half = 0
    for j in range(n):
        if assigned[j] == 0:
            if latest[j] < k:
                return False
            bucket[latest[j]] += times[j]
            total += times[j]
            if 2 * times[j] > c:
                big += 1
            elif 2 * times[j] == c:
                half += 1
    if total == 0:
        return True
    left = m - k
    if (total + c - 1) // c > left or big + (half + 1) // 2 > left:
        return False
    due = 0
    for s in range(k, m):
        due += bucket[s]
        if due > (s - k + 1) * c:
            return False
    return True


@njit(cache=True)
def mark(
    j: int,
    placed: int,
    assigned: np.ndarray,
    succ_ptr: np.ndarray,
    succ_idx: np.ndarray,
    preds_left: np.ndarray,
) -> None:
    """Mark task j placed (1) or taken back (0): its successors wait for one predecessor less or more."""
    assigned[j] = placed
    step = 1 - 2 * placed
    for e in range(succ_ptr[j], succ_ptr[j + 1]):
        preds_left[succ_idx[e]] += step


@njit(cache=True)
def put_load(
    tasks: np.ndarray,
    size: int,
    placed: int,
    k: int,
    station_of: np.ndarray,
    assigned: np.ndarray,
    succ_ptr: np.ndarray,
    succ_idx: np.ndarray,
    preds_left: np.ndarray,
) -> None:
    """Place the first ``size`` of ``tasks`` at station k (placed=1), or take them back (0)."""
    for q in range(size):
        mark(tasks[q], placed, assigned, succ_ptr, succ_idx, preds_left)
        if placed:
            station_of[tasks[q]] = k


@njit(cache=True)
def _search(  # noqa: PLR0912, PLR0915 - one compiled loop: splitting it costs calls per node
    m: int,
    c: int,
    times: np.ndarray,
    succ_ptr: np.ndarray,
    succ_idx: np.ndarray,
    preds_left: np.ndarray,
    latest: np.ndarray,
    zobrist: np.ndarray,
    keys: np.ndarray,
    failed_at: np.ndarray,
    station_of: np.ndarray,
    counter: np.ndarray,
) -> int:
    """The depth-first search with an explicit stack: one frame per (station, load so far) node.

    A frame either extends its station's load with a ready task of a higher number than the last
    one added (a child frame per such task), or, when none fits and no skipped ready task fits
    either (the load is maximal), closes the station and opens the next (one child frame).
    """
    n = times.shape[0]
    depth_cap = n + m + 2
    f_station = np.zeros(depth_cap, dtype=np.int64)
    f_load = np.zeros(depth_cap, dtype=np.int64)
    f_last = np.zeros(depth_cap, dtype=np.int64)
    f_next = np.zeros(depth_cap, dtype=np.int64)
    f_extended = np.zeros(depth_cap, dtype=np.int64)
    f_closing = np.zeros(depth_cap, dtype=np.int64)  # 1 once its next station was opened
    f_hash = np.zeros(depth_cap, dtype=np.uint64)
    assigned = np.zeros(n, dtype=np.int64)
    bucket = np.zeros(m, dtype=np.int64)
    mask = np.uint64(keys.shape[0] - 1)
    left = 0
    for j in range(n):
        left += times[j]
    d = 0
    f_last[0] = -1
    counter[0] += 1
    while d >= 0:
        k = f_station[d]
        if f_closing[d] == 1:  # the stations after this load failed: remember, and fail
            slot = int(f_hash[d] & mask)
            if keys[slot] != f_hash[d] or failed_at[slot] > k + 1:
                keys[slot] = f_hash[d]
                failed_at[slot] = k + 1
            if f_last[d] >= 0:  # take back the task this frame added
                left += times[f_last[d]]
                mark(f_last[d], 0, assigned, succ_ptr, succ_idx, preds_left)
            d -= 1
            continue
        load = f_load[d]
        j = f_next[d]
        while j < n and not (assigned[j] == 0 and preds_left[j] == 0 and load + times[j] <= c):
            j += 1
        if j < n:  # extend the load with task j
            f_next[d] = j + 1
            f_extended[d] = 1
            mark(j, 1, assigned, succ_ptr, succ_idx, preds_left)
            station_of[j] = k
            left -= times[j]
            counter[0] += 1
            if counter[0] > counter[1]:
                return ABORTED
            d += 1
            f_station[d] = k
            f_load[d] = load + times[j]
            f_last[d] = j
            f_next[d] = j + 1
            f_extended[d] = 0
            f_closing[d] = 0
            f_hash[d] = f_hash[d - 1] ^ zobrist[j]
            continue
        fail = f_extended[d] == 1  # every longer load was tried: this one is not maximal
        if not fail:
            for i in range(f_last[d] + 1):
                if assigned[i] == 0 and preds_left[i] == 0 and load + times[i] <= c:
                    fail = True  # a skipped ready task still fits: not maximal
                    break
        if not fail and left == 0:
            return FOUND
        if not fail:
            fail = k + 1 >= m or not _remaining_bound(k + 1, m, c, times, latest, assigned, bucket)
        if not fail:
            slot = int(f_hash[d] & mask)
            fail = keys[slot] == f_hash[d] and failed_at[slot] <= k + 1
        if fail:
            if f_last[d] >= 0:  # take back the task this frame added
                left += times[f_last[d]]
                mark(f_last[d], 0, assigned, succ_ptr, succ_idx, preds_left)
            d -= 1
            continue
        f_closing[d] = 1  # open station k + 1 below this frame
        counter[0] += 1
        if counter[0] > counter[1]:
            return ABORTED
        d += 1
        f_station[d] = k + 1
        f_load[d] = 0
        f_last[d] = -1
        f_next[d] = 0
        f_extended[d] = 0
        f_closing[d] = 0
        f_hash[d] = f_hash[d - 1]
    return FAILED


@njit(cache=True)
def fits(
    m: int,
    c: int,
    times: np.ndarray,
    succ_ptr: np.ndarray,
    succ_idx: np.ndarray,
    n_preds: np.ndarray,
    latest: np.ndarray,
    zobrist: np.ndarray,
    keys: np.ndarray,
    failed_at: np.ndarray,
    budget: int,
    station_of: np.ndarray,
) -> tuple[int, int]:
    """FOUND (``station_of`` then holds a station per task), FAILED (proved impossible) or ABORTED,
    and the nodes spent. Tasks must be numbered topologically (every arc from lower to higher);
    ``keys``/``failed_at`` are the transposition table, kept between calls with the same m and c."""
    n = times.shape[0]
    assigned = np.zeros(n, dtype=np.int64)
    preds_left = n_preds.copy()
    bucket = np.zeros(m, dtype=np.int64)
    counter = np.zeros(2, dtype=np.int64)
    counter[1] = budget
    if not _remaining_bound(0, m, c, times, latest, assigned, bucket):
        return FAILED, 1
    for j in range(n):
        if times[j] > c:
            return FAILED, 1
    outcome = _search(
        m, c, times, succ_ptr, succ_idx, preds_left, latest, zobrist, keys, failed_at, station_of, counter
    )
    return outcome, counter[0]


@njit(cache=True)
def best_loads(
    c: int,
    times: np.ndarray,
    value: np.ndarray,
    succ_ptr: np.ndarray,
    succ_idx: np.ndarray,
    preds_left: np.ndarray,
    assigned: np.ndarray,
    cap: int,
    out_tasks: np.ndarray,
    out_size: np.ndarray,
    out_load: np.ndarray,
    counter: np.ndarray,
) -> int:
    """The fullest maximal loads of one station (Hoffmann's idea): up to ``out_load.shape[0]`` of
    them, the largest sum of ``value`` first (``out_load`` holds that sum), among the first ``cap``
    loads enumerated; how many were kept. Tasks fit while their ``times`` sum to at most c."""
    n = times.shape[0]
    width = out_load.shape[0]
    chosen = np.zeros(n + 1, dtype=np.int64)
    cursor = np.zeros(n + 2, dtype=np.int64)
    extended = np.zeros(n + 2, dtype=np.int64)
    kept = 0
    depth = 0
    load = 0
    worth = 0
    seen = 0
    while depth >= 0:
        j = cursor[depth]
        while j < n and not (assigned[j] == 0 and preds_left[j] == 0 and load + times[j] <= c):
            j += 1
        if j < n and seen < cap:
            cursor[depth] = j + 1
            extended[depth] = 1
            mark(j, 1, assigned, succ_ptr, succ_idx, preds_left)
            load += times[j]
            worth += value[j]
            chosen[depth] = j
            depth += 1
            cursor[depth] = j + 1
            extended[depth] = 0
            seen += 1
            counter[0] += 1
            continue
        if extended[depth] == 0 and j >= n:
            maximal = True
            for i in range(n):
                if assigned[i] == 0 and preds_left[i] == 0 and load + times[i] <= c:
                    maximal = False
                    break
            if maximal and (kept < width or worth > out_load[kept - 1]):
                at = min(kept, width - 1)
                while at > 0 and out_load[at - 1] < worth:
                    out_load[at] = out_load[at - 1]
                    out_size[at] = out_size[at - 1]
                    out_tasks[at, :] = out_tasks[at - 1, :]
                    at -= 1
                out_load[at] = worth
                out_size[at] = depth
                for q in range(depth):
                    out_tasks[at, q] = chosen[q]
                kept = min(kept + 1, width)
        depth -= 1
        if depth >= 0:
            j = chosen[depth]
            mark(j, 0, assigned, succ_ptr, succ_idx, preds_left)
            load -= times[j]
            worth -= value[j]
    return kept


@njit(cache=True)
def fullest_first(
    width: int,
    cap: int,
    budget: int,
    m: int,
    c: int,
    latest: np.ndarray,
    times: np.ndarray,
    n_preds: np.ndarray,
    succ_ptr: np.ndarray,
    succ_idx: np.ndarray,
    station_of: np.ndarray,
) -> tuple[int, int]:
    """A heuristic search for cycle time c: station by station, the ``width`` fullest maximal loads
    (of the first ``cap`` enumerated) in turn, backtracking within ``budget`` enumerated loads.
    FOUND or ABORTED (it never proves anything), and the effort spent."""
    n = times.shape[0]
    assigned = np.zeros(n, dtype=np.int64)
    preds_left = n_preds.copy()
    bucket = np.zeros(m, dtype=np.int64)
    counter = np.zeros(1, dtype=np.int64)
    tasks = np.zeros((m, width, n), dtype=np.int64)
    sizes = np.zeros((m, width), dtype=np.int64)
    loads = np.zeros((m, width), dtype=np.int64)
    kept = np.zeros(m, dtype=np.int64)
    cursor = np.zeros(m, dtype=np.int64)
    left = 0
    for j in range(n):
        left += times[j]
    k = 0
    kept[0] = best_loads(
        c, times, times, succ_ptr, succ_idx, preds_left, assigned, cap, tasks[0], sizes[0], loads[0], counter
    )
    cursor[0] = 0
    while k >= 0:
        if counter[0] > budget:
            return ABORTED, counter[0]
        if cursor[k] > 0:  # take back the load tried last at station k
            a = cursor[k] - 1
            put_load(tasks[k, a], sizes[k, a], 0, k, station_of, assigned, succ_ptr, succ_idx, preds_left)
            left += loads[k, a]
        if cursor[k] >= kept[k]:
            k -= 1
            continue
        a = cursor[k]
        cursor[k] += 1
        put_load(tasks[k, a], sizes[k, a], 1, k, station_of, assigned, succ_ptr, succ_idx, preds_left)
        left -= loads[k, a]
        if left == 0:
            return FOUND, counter[0]
        if k + 1 >= m or not _remaining_bound(k + 1, m, c, times, latest, assigned, bucket):
            continue
        k += 1
        kept[k] = best_loads(
            c,
            times,
            times,
            succ_ptr,
            succ_idx,
            preds_left,
            assigned,
            cap,
            tasks[k],
            sizes[k],
            loads[k],
            counter,
        )
        cursor[k] = 0
    return ABORTED, counter[0]

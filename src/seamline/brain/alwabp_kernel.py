"""The compiled heart of the ALWABP search: can these workers, one per station, keep cycle time C?

The station-oriented branch and bound of :mod:`~seamline.brain.salbp_kernel` with one more choice
per station: which of the remaining workers takes it. Workers are tried in order of the nominal
work (each task at its fastest worker's time) a greedy maximal load of theirs would take; then
their maximal loads are enumerated as in SALBP (tasks added in increasing topological number, a
load closed only when no ready task the worker can do still fits). A branch is cut when

- a task's latest station (from its tail at the fastest times) has passed, or no remaining worker
  can do it within C,
- the work left at each task's fastest remaining worker needs more stations than there are
  workers left, or
- the same tasks placed by the same workers have already failed (a transposition table keyed on a
  Zobrist hash of both sets: the station count is then the same too).

Budgets are counted in nodes, as in SALBP, for answers that do not depend on the machine's load.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from seamline.brain.salbp_kernel import ABORTED, FAILED, FOUND, best_loads, mark, put_load

STATION, WORKER, LOAD, LAST, NEXT, EXTENDED, CLOSING = range(7)
"""The columns of a search frame: its station, worker (-1 while choosing one), load, last task
added (-1 for none), next task to try, whether it was extended, whether its next station is open."""

NONE = 1 << 40
"""A time meaning "cannot do this task"."""


@njit(cache=True)
def _left_fits(
    k: int,
    n_workers: int,
    c: int,
    times: np.ndarray,
    latest: np.ndarray,
    assigned: np.ndarray,
    used: np.ndarray,
) -> bool:
    """True when the unplaced tasks may still fit the unused workers as far as the bounds can tell."""
    n = times.shape[0]
    total = 0
    for j in range(n):
        if assigned[j] == 0:
            if latest[j] < k:
                return False
            best = NONE
            for w in range(n_workers):
                if used[w] == 0 and times[j, w] < best:
                    best = times[j, w]
            if best > c:
                return False
            total += best
    return total <= (n_workers - k) * c


@njit(cache=True)
def _order_workers(
    c: int,
    times: np.ndarray,
    nominal: np.ndarray,
    succ_ptr: np.ndarray,
    succ_idx: np.ndarray,
    preds_left: np.ndarray,
    assigned: np.ndarray,
    used: np.ndarray,
    out: np.ndarray,
) -> int:
    """The unused workers, the one whose greedy load takes the most nominal work first; their count."""
    n, n_workers = times.shape
    score = np.zeros(n_workers, dtype=np.int64)
    count = 0
    taken = np.zeros(n, dtype=np.int64)
    pl = preds_left.copy()
    for w in range(n_workers):
        if used[w] == 1:
            continue
        for j in range(n):
            taken[j] = 0
            pl[j] = preds_left[j]
        load = 0
        gain = 0
        for j in range(n):  # in topological number: a successor is reached after its predecessors
            if assigned[j] == 0 and taken[j] == 0 and pl[j] == 0 and load + times[j, w] <= c:
                taken[j] = 1
                load += times[j, w]
                gain += nominal[j]
                for e in range(succ_ptr[j], succ_ptr[j + 1]):
                    pl[succ_idx[e]] -= 1
        out[count] = w
        score[count] = gain
        count += 1
    for a in range(1, count):  # insertion sort: few workers
        b = a
        while b > 0 and score[b] > score[b - 1]:
            score[b], score[b - 1] = score[b - 1], score[b]
            out[b], out[b - 1] = out[b - 1], out[b]
            b -= 1
    return count


@njit(cache=True)
def fits(  # noqa: PLR0912, PLR0915 - one compiled loop: splitting it costs calls per node
    c: int,
    times: np.ndarray,
    nominal: np.ndarray,
    succ_ptr: np.ndarray,
    succ_idx: np.ndarray,
    n_preds: np.ndarray,
    latest: np.ndarray,
    task_keys: np.ndarray,
    worker_keys: np.ndarray,
    keys: np.ndarray,
    budget: int,
    station_of: np.ndarray,
    worker_at: np.ndarray,
) -> tuple[int, int]:
    """FOUND (``station_of`` per task and ``worker_at`` per station filled), FAILED or ABORTED, and
    the nodes spent. ``times[j, w]`` is NONE where worker w cannot do task j; tasks are numbered
    topologically; ``keys`` is the transposition table of failed (tasks, workers) sets."""
    n, n_workers = times.shape
    cap = n + 2 * n_workers + 2
    frames = np.zeros((cap, 7), dtype=np.int64)
    frames[0, WORKER] = -1  # the root chooses station 0's worker
    frames[0, LAST] = -1
    f_hash = np.zeros(cap, dtype=np.uint64)
    choices = np.zeros((n_workers + 1, n_workers), dtype=np.int64)
    n_choices = np.zeros(n_workers + 1, dtype=np.int64)
    assigned = np.zeros(n, dtype=np.int64)
    used = np.zeros(n_workers, dtype=np.int64)
    preds_left = n_preds.copy()
    mask = np.uint64(keys.shape[0] - 1)
    nodes = 1
    left = n
    if not _left_fits(0, n_workers, c, times, latest, assigned, used):
        return FAILED, nodes
    n_choices[0] = _order_workers(
        c, times, nominal, succ_ptr, succ_idx, preds_left, assigned, used, choices[0]
    )
    d = 0
    while d >= 0:
        k = frames[d, STATION]
        w = frames[d, WORKER]
        if w < 0:  # choose the next worker for station k
            if frames[d, NEXT] < n_choices[k]:
                v = choices[k, frames[d, NEXT]]
                frames[d, NEXT] += 1
                used[v] = 1
                worker_at[k] = v
                nodes += 1
                if nodes > budget:
                    return ABORTED, nodes
                d = _push(d, k, v, 0, -1, f_hash[d] ^ worker_keys[v], frames, f_hash)
                continue
            d -= 1  # no worker left to try: fail (the frame placed nothing itself)
            continue
        if frames[d, CLOSING] == 1:  # the stations after this load failed: remember, and fail
            keys[int(f_hash[d] & mask)] = f_hash[d]
            left += 1 if frames[d, LAST] >= 0 else 0
            d = _undo(d, frames, assigned, used, succ_ptr, succ_idx, preds_left)
            continue
        load = frames[d, LOAD]
        j = frames[d, NEXT]
        while j < n and not (assigned[j] == 0 and preds_left[j] == 0 and load + times[j, w] <= c):
            j += 1
        if j < n:  # extend the load with task j
            frames[d, NEXT] = j + 1
            frames[d, EXTENDED] = 1
            mark(j, 1, assigned, succ_ptr, succ_idx, preds_left)
            station_of[j] = k
            left -= 1
            nodes += 1
            if nodes > budget:
                return ABORTED, nodes
            d = _push(d, k, w, load + times[j, w], j, f_hash[d] ^ task_keys[j], frames, f_hash)
            continue
        fail = frames[d, EXTENDED] == 1
        if not fail:
            for i in range(frames[d, LAST] + 1):
                if assigned[i] == 0 and preds_left[i] == 0 and load + times[i, w] <= c:
                    fail = True
                    break
        if not fail and left == 0:
            _seat_idle(k + 1, used, worker_at)
            return FOUND, nodes
        if not fail:
            fail = k + 1 >= n_workers or not _left_fits(k + 1, n_workers, c, times, latest, assigned, used)
        if not fail:
            fail = keys[int(f_hash[d] & mask)] == f_hash[d]
        if fail:
            left += 1 if frames[d, LAST] >= 0 else 0
            d = _undo(d, frames, assigned, used, succ_ptr, succ_idx, preds_left)
            continue
        frames[d, CLOSING] = 1
        n_choices[k + 1] = _order_workers(
            c, times, nominal, succ_ptr, succ_idx, preds_left, assigned, used, choices[k + 1]
        )
        nodes += 1
        if nodes > budget:
            return ABORTED, nodes
        d = _push(d, k + 1, -1, 0, -1, f_hash[d], frames, f_hash)
    return FAILED, nodes


@njit(cache=True)
def _push(
    d: int,
    station: int,
    worker: int,
    load: int,
    last: int,
    hashed: np.uint64,
    frames: np.ndarray,
    f_hash: np.ndarray,
) -> int:
    """Open frame d + 1 (a node: its station, worker or -1 while choosing one, load, last task)."""
    d += 1
    frames[d, STATION] = station
    frames[d, WORKER] = worker
    frames[d, LOAD] = load
    frames[d, LAST] = last
    frames[d, NEXT] = last + 1
    frames[d, EXTENDED] = 0
    frames[d, CLOSING] = 0
    f_hash[d] = hashed
    return d


@njit(cache=True)
def _seat_idle(first: int, used: np.ndarray, worker_at: np.ndarray) -> None:
    """Stations first.. get the workers not needed, idle."""
    for s in range(first, worker_at.shape[0]):
        for v in range(used.shape[0]):
            if used[v] == 0:
                used[v] = 1
                worker_at[s] = v
                break


@njit(cache=True)
def _undo(
    d: int,
    frames: np.ndarray,
    assigned: np.ndarray,
    used: np.ndarray,
    succ_ptr: np.ndarray,
    succ_idx: np.ndarray,
    preds_left: np.ndarray,
) -> int:
    """Drop frame d: take back its task, or its worker if it was the first frame of their load."""
    j = frames[d, LAST]
    if j >= 0:
        mark(j, 0, assigned, succ_ptr, succ_idx, preds_left)
    elif frames[d, WORKER] >= 0:
        used[frames[d, WORKER]] = 0
    return d - 1


@njit(cache=True)
def fullest_first(  # noqa: PLR0915 - one compiled loop
    width: int,
    cap: int,
    budget: int,
    c: int,
    latest: np.ndarray,
    times: np.ndarray,
    nominal: np.ndarray,
    n_preds: np.ndarray,
    succ_ptr: np.ndarray,
    succ_idx: np.ndarray,
    station_of: np.ndarray,
    worker_at: np.ndarray,
) -> tuple[int, int]:
    """A heuristic search for cycle time c: at each station every remaining worker's fullest maximal
    load (the most nominal work) is found, and the ``width`` best (worker, load) pairs are tried in
    turn, backtracking within ``budget`` enumerated loads. FOUND or ABORTED, and the effort spent."""
    n, n_workers = times.shape
    assigned = np.zeros(n, dtype=np.int64)
    used = np.zeros(n_workers, dtype=np.int64)
    preds_left = n_preds.copy()
    counter = np.zeros(1, dtype=np.int64)
    tasks = np.zeros((n_workers, width, n), dtype=np.int64)
    sizes = np.zeros((n_workers, width), dtype=np.int64)
    worths = np.zeros((n_workers, width), dtype=np.int64)
    who = np.zeros((n_workers, width), dtype=np.int64)
    kept = np.zeros(n_workers, dtype=np.int64)
    cursor = np.zeros(n_workers, dtype=np.int64)
    one_tasks = np.zeros((1, n), dtype=np.int64)
    one_size = np.zeros(1, dtype=np.int64)
    one_worth = np.zeros(1, dtype=np.int64)
    left = n
    k = 0
    new_station = True
    while k >= 0:
        if counter[0] > budget:
            return ABORTED, counter[0]
        if new_station:  # rank the remaining workers' fullest loads for station k
            new_station = False
            kept[k] = 0
            cursor[k] = 0
            for w in range(n_workers):
                if used[w] == 1 or counter[0] > budget:
                    continue
                column = np.ascontiguousarray(times[:, w])
                if best_loads(c, column, nominal, succ_ptr, succ_idx, preds_left, assigned, cap,
                              one_tasks, one_size, one_worth, counter) == 0:  # fmt: skip
                    continue
                if kept[k] == width and one_worth[0] <= worths[k, width - 1]:
                    continue
                at = min(kept[k], width - 1)
                while at > 0 and worths[k, at - 1] < one_worth[0]:
                    worths[k, at] = worths[k, at - 1]
                    sizes[k, at] = sizes[k, at - 1]
                    who[k, at] = who[k, at - 1]
                    tasks[k, at, :] = tasks[k, at - 1, :]
                    at -= 1
                worths[k, at] = one_worth[0]
                sizes[k, at] = one_size[0]
                who[k, at] = w
                tasks[k, at, :] = one_tasks[0, :]
                kept[k] = min(kept[k] + 1, width)
        if cursor[k] > 0:  # take back the pair tried last at station k
            a = cursor[k] - 1
            put_load(tasks[k, a], sizes[k, a], 0, k, station_of, assigned, succ_ptr, succ_idx, preds_left)
            used[who[k, a]] = 0
            left += sizes[k, a]
        if cursor[k] >= kept[k]:
            k -= 1
            continue
        a = cursor[k]
        cursor[k] += 1
        put_load(tasks[k, a], sizes[k, a], 1, k, station_of, assigned, succ_ptr, succ_idx, preds_left)
        used[who[k, a]] = 1
        worker_at[k] = who[k, a]
        left -= sizes[k, a]
        if left == 0:
            _seat_idle(k + 1, used, worker_at)
            return FOUND, counter[0]
        if k + 1 >= n_workers or not _left_fits(k + 1, n_workers, c, times, latest, assigned, used):
            continue
        k += 1
        new_station = True
    return ABORTED, counter[0]

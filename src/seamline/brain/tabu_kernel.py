"""The compiled hot loop of the brain's tabu search for job shops and flexible job shops.

A schedule is the order of the operations on each machine (a doubly linked list per machine:
``mprev``/``mnext``/``mfirst``) and, in a flexible shop, each operation's machine and duration
(``mach``/``dur``). Its start times are the heads of the disjunctive graph (job arcs plus machine
arcs), computed by one topological sweep; the makespan is the longest path.

Each iteration takes one critical path (``critical_path``) and looks at two kinds of moves:

- Inside a critical block (operations in a row on one machine on the critical path): one of its
  operations to the block's front or to its back, up to ``reach`` places (Balas & Vazacopoulos
  1998, Management Science 44(2), N6; with ``reach`` 1 it is N5 of Nowicki & Smutnicki 1996:
  swap the first two or the last two). Never to the first block's front nor the last block's back,
  where a move cannot shorten the path, and never where a job arc could close a cycle.
- Reassignment (Mastrolilli & Gambardella 2000, J. Scheduling 3(1)), flexible shops only: move a
  critical operation to another eligible machine, at the position there that gives the shortest
  path through it, among positions that cannot close a cycle.

Moves are ranked by the length of the longest path through the operations they touch, from the
heads and tails before the move (the estimate of Taillard 1994 / Balas & Vazacopoulos 1998), then
the best one not tabu is made, or a tabu one that beats the best makespan (aspiration). A move in a
block makes the orders it reversed tabu, a reassignment the operation's old machine, for a tenure
drawn at random. After ``stall_limit`` iterations without a new best the search jumps back to the
best schedule and shakes it with a few random swaps of adjacent critical operations, one more every
``grow`` jumps that found nothing (an iterated tabu search).

Everything random comes from one 64-bit linear congruential generator whose state is passed in, so
a run is the same for the same seed and work budget; the loop counts its work (operations swept
plus moves evaluated) and returns when the chunk's budget is spent, so the Python driver
(:mod:`~seamline.brain.tabu`) can check the clock between chunks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np
import numpy.typing as npt
from numba import njit

Ints = npt.NDArray[np.int64]
_F = TypeVar("_F", bound=Callable[..., Any])


def _compiled(fn: _F) -> _F:
    """``fn`` compiled to machine code, cached on disk, releasing the interpreter lock."""
    return cast(_F, njit(cache=True, nogil=True)(fn))


# state[...] slots shared with the driver
IT, STALL, BEST, CURRENT, WORK, JUMPS = 0, 1, 2, 3, 4, 5
STATE_SIZE = 6


@_compiled
def _rand(rng: Ints, bound: int) -> int:
    """A number in [0, bound) from the generator state ``rng[0]`` (wrapping int64 arithmetic)."""
    x = rng[0] * 6364136223846793005 + 1442695040888963407
    rng[0] = x
    return int(((x >> 33) & 0x7FFFFFFF) % bound)


@_compiled
def evaluate(
    dur: Ints, jprev: Ints, jnext: Ints, mprev: Ints, mnext: Ints, r: Ints, q: Ints, order: Ints, indeg: Ints
) -> int:
    """Heads ``r`` and tails ``q`` (without the operation itself); the makespan, or -1 on a cycle."""
    n = dur.shape[0]
    top = 0
    for o in range(n):
        indeg[o] = (1 if jprev[o] >= 0 else 0) + (1 if mprev[o] >= 0 else 0)
        if indeg[o] == 0:
            order[top] = o
            top += 1
    head = 0
    while head < top:
        o = order[head]
        head += 1
        for s in (jnext[o], mnext[o]):
            if s >= 0:
                indeg[s] -= 1
                if indeg[s] == 0:
                    order[top] = s
                    top += 1
    if top < n:
        return -1
    _longest(order, 0, n, 1, jprev, mprev, dur, r)  # heads: from the start
    _longest(order, n - 1, -1, -1, jnext, mnext, dur, q)  # tails: from the end
    cmax = 0
    for o in range(n):
        cmax = max(cmax, r[o] + dur[o] + q[o])
    return cmax


@_compiled
def _longest(
    order: Ints, first: int, stop: int, step: int, links_a: Ints, links_b: Ints, dur: Ints, out: Ints
) -> None:
    """``out[o]``: the longest path to o over its two neighbours in ``links_a``/``links_b``,
    visiting ``order[first:stop:step]`` (each neighbour before the operation)."""
    for i in range(first, stop, step):
        o = order[i]
        t = 0
        x = links_a[o]
        if x >= 0:
            t = out[x] + dur[x]
        x = links_b[o]
        if x >= 0:
            t = max(t, out[x] + dur[x])
        out[o] = t


@_compiled
def critical_path(
    cmax: int, dur: Ints, jprev: Ints, mprev: Ints, r: Ints, q: Ints, path: Ints, rng: Ints
) -> int:
    """One longest path into ``path`` (first operation first); its number of operations.

    It ends at a random operation finishing at the makespan and, walking back, prefers the machine
    predecessor, so that critical blocks come out as long as they are.
    """
    n = dur.shape[0]
    end = -1
    ties = 0
    for o in range(n):
        if q[o] == 0 and r[o] + dur[o] == cmax:
            ties += 1
            if _rand(rng, ties) == 0:
                end = o
    length = 0
    o = end
    while o >= 0:
        path[length] = o
        length += 1
        p = mprev[o]
        if p >= 0 and r[p] + dur[p] == r[o]:
            o = p
            continue
        p = jprev[o]
        if p >= 0 and r[p] + dur[p] == r[o]:
            o = p
            continue
        o = -1
    for i in range(length // 2):  # first operation first
        path[i], path[length - 1 - i] = path[length - 1 - i], path[i]
    return length


@_compiled
def _sequence_estimate(
    seq: Ints,
    m: int,
    before: int,
    after: int,
    dur: Ints,
    jprev: Ints,
    jnext: Ints,
    r: Ints,
    q: Ints,
    tmp: Ints,
) -> int:
    """The longest path through ``seq[:m]`` if it ran in that order on one machine between
    ``before`` and ``after`` (-1: none), from the heads and tails before the move."""
    t = dur[after] + q[after] if after >= 0 else 0
    for x in range(m - 1, -1, -1):
        o = seq[x]
        s = jnext[o]
        tail = max(t, dur[s] + q[s]) if s >= 0 else t
        tmp[x] = tail
        t = tail + dur[o]
    t = r[before] + dur[before] if before >= 0 else 0
    est = 0
    for x in range(m):
        o = seq[x]
        p = jprev[o]
        head = max(t, r[p] + dur[p]) if p >= 0 else t
        est = max(est, head + dur[o] + tmp[x])
        t = head + dur[o]
    return est


@_compiled
def _swap(u: int, v: int, mach: Ints, mprev: Ints, mnext: Ints, mfirst: Ints) -> None:
    """Swap u and v, u right before v on their machine: p u v s becomes p v u s."""
    p = mprev[u]
    s = mnext[v]
    if p >= 0:
        mnext[p] = v
    else:
        mfirst[mach[u]] = v
    mprev[v] = p
    mnext[v] = u
    mprev[u] = v
    mnext[u] = s
    if s >= 0:
        mprev[s] = u


@_compiled
def _unlink(o: int, mach: Ints, mprev: Ints, mnext: Ints, mfirst: Ints) -> None:
    p = mprev[o]
    s = mnext[o]
    if p >= 0:
        mnext[p] = s
    else:
        mfirst[mach[o]] = s
    if s >= 0:
        mprev[s] = p
    mprev[o] = -1
    mnext[o] = -1


@_compiled
def _link_after(o: int, a: int, k: int, mach: Ints, mprev: Ints, mnext: Ints, mfirst: Ints) -> None:
    """Put o on machine k right after a (at the front when a is -1)."""
    if a >= 0:
        b = mnext[a]
        mnext[a] = o
    else:
        b = mfirst[k]
        mfirst[k] = o
    mprev[o] = a
    mnext[o] = b
    if b >= 0:
        mprev[b] = o
    mach[o] = k


@_compiled
def _shake(
    kicks: int,
    cmax: int,
    dur: Ints,
    jprev: Ints,
    jnext: Ints,
    mach: Ints,
    mprev: Ints,
    mnext: Ints,
    mfirst: Ints,
    r: Ints,
    q: Ints,
    order: Ints,
    indeg: Ints,
    path: Ints,
    rng: Ints,
) -> int:
    """Swap ``kicks`` random adjacent pairs on critical paths (always acyclic); the new makespan."""
    for _ in range(kicks):
        length = critical_path(cmax, dur, jprev, mprev, r, q, path, rng)
        pairs = 0
        for i in range(length - 1):
            if mnext[path[i]] == path[i + 1] and jnext[path[i]] != path[i + 1]:
                pairs += 1
        if pairs == 0:
            break
        pick = _rand(rng, pairs)
        for i in range(length - 1):
            if mnext[path[i]] == path[i + 1] and jnext[path[i]] != path[i + 1]:
                if pick == 0:
                    _swap(path[i], path[i + 1], mach, mprev, mnext, mfirst)
                    break
                pick -= 1
        cmax = evaluate(dur, jprev, jnext, mprev, mnext, r, q, order, indeg)
        if cmax < 0:  # zero durations: another path between the two, undo
            _swap(path[i + 1], path[i], mach, mprev, mnext, mfirst)
            cmax = evaluate(dur, jprev, jnext, mprev, mnext, r, q, order, indeg)
    return cmax


@_compiled
def search(  # noqa: PLR0912, PLR0915  # one loop kept whole: it is the hot path
    work_budget: int,
    lower_bound: int,
    tenure_min: int,
    tenure_span: int,
    stall_limit: int,
    kicks: int,
    grow: int,
    reach: int,
    jprev: Ints,
    jnext: Ints,
    alt_ptr: Ints,
    alt_mach: Ints,
    alt_dur: Ints,
    mach: Ints,
    dur: Ints,
    mprev: Ints,
    mnext: Ints,
    mfirst: Ints,
    best_mach: Ints,
    best_dur: Ints,
    best_mprev: Ints,
    best_mnext: Ints,
    best_mfirst: Ints,
    tabu_arc: Ints,
    tabu_machine: Ints,
    state: Ints,
    rng: Ints,
) -> None:
    """Run until ``work_budget`` more units of work are spent or the best meets ``lower_bound``.

    ``state`` (see the ``IT``... slots) and ``rng`` carry on from one call to the next; the current
    and the best schedule are updated in place.
    """
    n = dur.shape[0]
    r = np.zeros(n, np.int64)
    q = np.zeros(n, np.int64)
    order = np.zeros(n, np.int64)
    indeg = np.zeros(n, np.int64)
    path = np.zeros(n, np.int64)
    seq = np.zeros(n, np.int64)
    tmp = np.zeros(n, np.int64)
    cmax = evaluate(dur, jprev, jnext, mprev, mnext, r, q, order, indeg)
    state[CURRENT] = cmax
    flexible = False
    for o in range(n):
        if alt_ptr[o + 1] - alt_ptr[o] > 1:
            flexible = True
    spent = 0
    while spent < work_budget and state[BEST] > lower_bound:
        it = state[IT]
        state[IT] = it + 1
        length = critical_path(cmax, dur, jprev, mprev, r, q, path, rng)
        spent += n + length
        # the chosen move: kind 0 moves ma inside its block (after mb, -1 the machine's front),
        # flipping its order with path[lo..hi] (mdir 0: it goes before them, 1: after them); kind 1
        # reassigns ma to machine mk after mb, taking mdur; -1 none yet
        kind = -1
        ma = -1
        mb = -1
        mk = -1
        mdur = 0
        lo = 0
        hi = -1
        mdir = 0
        best_est = 1 << 62
        ties = 0
        # the fallback when every move is tabu: the one whose tabu ends first
        fb_kind = -1
        fb_a = -1
        fb_b = -1
        fb_k = -1
        fb_dur = 0
        fb_lo = 0
        fb_hi = -1
        fb_dir = 0
        fb_until = 1 << 62
        # moves inside critical blocks: an operation to the block's front or back (N5 when reach is 1)
        start = 0
        n_blocks = 0
        while start < length:
            stop = start
            while stop + 1 < length and mnext[path[stop]] == path[stop + 1]:
                stop += 1
            if stop > start:
                n_blocks += 1
            start = stop + 1
        start = 0
        block = 0
        while start < length:
            stop = start
            while stop + 1 < length and mnext[path[stop]] == path[stop + 1]:
                stop += 1
            if stop > start:
                front_ok = not (block == 0 and n_blocks > 1)
                back_ok = not (block == n_blocks - 1 and n_blocks > 1)
                for direction in range(2):
                    if direction == 0:
                        if not front_ok:
                            continue
                        first, last = start + 1, min(stop, start + reach)
                    else:
                        if not back_ok:
                            continue
                        first, last = max(start, stop - reach), stop - 1
                        if front_ok and stop - start == 1:
                            continue  # a block of two: the same swap as its front move
                    for i in range(first, last + 1):
                        u = path[i]
                        if direction == 0:
                            v = path[start]
                            p = jprev[u]
                            if p >= 0 and r[p] >= r[v] + dur[v]:
                                continue  # the job's previous operation may follow v: a cycle
                            f_lo, f_hi = start, i - 1
                            m = 0
                            seq[m] = u
                            m += 1
                            for x in range(f_lo, f_hi + 1):
                                seq[m] = path[x]
                                m += 1
                            est = _sequence_estimate(seq, m, mprev[v], mnext[u], dur, jprev, jnext, r, q, tmp)
                            after = mprev[v]
                            until = 0
                            for x in range(f_lo, f_hi + 1):
                                until = max(until, tabu_arc[path[x], u])
                        else:
                            w = path[stop]
                            s_ = jnext[u]
                            if s_ >= 0 and r[w] >= r[s_] + dur[s_]:
                                continue  # the job's next operation may precede w: a cycle
                            f_lo, f_hi = i + 1, stop
                            m = 0
                            for x in range(f_lo, f_hi + 1):
                                seq[m] = path[x]
                                m += 1
                            seq[m] = u
                            m += 1
                            est = _sequence_estimate(seq, m, mprev[u], mnext[w], dur, jprev, jnext, r, q, tmp)
                            after = w
                            until = 0
                            for x in range(f_lo, f_hi + 1):
                                until = max(until, tabu_arc[u, path[x]])
                        spent += m
                        if until > it and est >= state[BEST]:
                            if until < fb_until:
                                fb_kind, fb_a, fb_b, fb_k, fb_dur = 0, u, after, mach[u], dur[u]
                                fb_lo, fb_hi, fb_dir, fb_until = f_lo, f_hi, direction, until
                            continue
                        if est < best_est:
                            best_est, ties = est, 1
                        elif est == best_est:
                            ties += 1
                            if _rand(rng, ties) != 0:
                                continue
                        else:
                            continue
                        kind, ma, mb, mk, mdur = 0, u, after, mach[u], dur[u]
                        lo, hi, mdir = f_lo, f_hi, direction
                block += 1
            start = stop + 1
        if flexible:
            for i in range(length):
                o = path[i]
                if alt_ptr[o + 1] - alt_ptr[o] < 2:
                    continue
                jp = jprev[o]
                js = jnext[o]
                rj = r[jp] + dur[jp] if jp >= 0 else 0
                qj = dur[js] + q[js] if js >= 0 else 0
                js_end = r[js] + dur[js] if js >= 0 else 1 << 62
                jp_head = r[jp] if jp >= 0 else -1
                for x in range(alt_ptr[o], alt_ptr[o + 1]):
                    k = alt_mach[x]
                    if k == mach[o]:
                        continue
                    dk = alt_dur[x]
                    a = -1
                    b = mfirst[k]
                    while True:
                        spent += 1
                        # acyclic for sure: nothing after o in its job reaches a, b reaches nothing
                        # before o in its job (heads grow along every path)
                        if (a < 0 or r[a] < js_end) and (b < 0 or r[b] + dur[b] > jp_head):
                            ra = r[a] + dur[a] if a >= 0 else 0
                            qb = dur[b] + q[b] if b >= 0 else 0
                            est = max(rj, ra) + dk + max(qj, qb)
                            until = tabu_machine[o, k]
                            if until > it and est >= state[BEST]:
                                if until < fb_until:
                                    fb_kind, fb_a, fb_b, fb_k, fb_dur, fb_until = 1, o, a, k, dk, until
                            elif est < best_est:
                                best_est, ties = est, 1
                                kind, ma, mb, mk, mdur = 1, o, a, k, dk
                            elif est == best_est:
                                ties += 1
                                if _rand(rng, ties) == 0:
                                    kind, ma, mb, mk, mdur = 1, o, a, k, dk
                        if b < 0:
                            break
                        a = b
                        b = mnext[b]
        if kind < 0:
            kind, ma, mb, mk, mdur = fb_kind, fb_a, fb_b, fb_k, fb_dur
            lo, hi, mdir = fb_lo, fb_hi, fb_dir
        if kind < 0:
            break  # no move at all: a single critical operation, the schedule is optimal
        tenure = tenure_min + _rand(rng, tenure_span + 1)
        old_k = mach[ma]
        old_prev = mprev[ma]
        old_dur = dur[ma]
        _unlink(ma, mach, mprev, mnext, mfirst)
        _link_after(ma, mb, mk, mach, mprev, mnext, mfirst)
        dur[ma] = mdur
        cmax = evaluate(dur, jprev, jnext, mprev, mnext, r, q, order, indeg)
        undone = cmax < 0
        if undone:  # zero durations can hide a cycle from the tests above: undo, and not again
            _unlink(ma, mach, mprev, mnext, mfirst)
            _link_after(ma, old_prev, old_k, mach, mprev, mnext, mfirst)
            dur[ma] = old_dur
            cmax = evaluate(dur, jprev, jnext, mprev, mnext, r, q, order, indeg)
        if kind == 1:
            tabu_machine[ma, mk if undone else old_k] = it + tenure
        else:
            for x in range(lo, hi + 1):
                b = path[x]
                if (mdir == 0) != undone:
                    tabu_arc[ma, b] = it + tenure  # b may not come back before ma
                else:
                    tabu_arc[b, ma] = it + tenure
        spent += n
        state[CURRENT] = cmax
        if cmax < state[BEST]:
            state[BEST] = cmax
            state[STALL] = 0
            state[JUMPS] = 0
            best_mach[:] = mach
            best_dur[:] = dur
            best_mprev[:] = mprev
            best_mnext[:] = mnext
            best_mfirst[:] = mfirst
            continue
        state[STALL] += 1
        if state[STALL] >= stall_limit:  # back to the best, shaken
            state[STALL] = 0
            mach[:] = best_mach
            dur[:] = best_dur
            mprev[:] = best_mprev
            mnext[:] = best_mnext
            mfirst[:] = best_mfirst
            tabu_arc[:, :] = 0
            tabu_machine[:, :] = 0
            cmax = evaluate(dur, jprev, jnext, mprev, mnext, r, q, order, indeg)
            state[JUMPS] += 1
            shake = 2 + _rand(rng, kicks) + state[JUMPS] // grow
            cmax = _shake(
                shake, cmax, dur, jprev, jnext, mach, mprev, mnext, mfirst, r, q,
                order, indeg, path, rng,
            )  # fmt: skip
            spent += n * shake
            state[CURRENT] = cmax
    state[WORK] += spent

"""Precedence graphs of line-balancing tasks: cycles, a topological order, heads and tails.

Tasks are numbered from 0 here; the problems number them from 1 at their edges (files, JSON).
"""

from __future__ import annotations

from collections.abc import Sequence


def successors(n: int, arcs: Sequence[tuple[int, int]]) -> list[list[int]]:
    """Direct successors of each task (0-based), in the order of the arcs."""
    out: list[list[int]] = [[] for _ in range(n)]
    for i, j in arcs:
        out[i].append(j)
    return out


def find_cycle(n: int, arcs: Sequence[tuple[int, int]]) -> tuple[int, ...] | None:
    """The tasks of one precedence cycle in the order they follow each other, or None if there is none.

    >>> find_cycle(3, [(0, 1), (1, 2), (2, 0)])
    (0, 1, 2)
    >>> find_cycle(3, [(0, 1), (0, 2), (1, 2)]) is None
    True
    """
    succ = successors(n, arcs)
    colour = [0] * n  # 0 unseen, 1 on the current path, 2 done
    for root in range(n):
        if colour[root]:
            continue
        path: list[int] = [root]
        nexts = [iter(succ[root])]
        colour[root] = 1
        while nexts:
            step = next(nexts[-1], None)
            if step is None:
                colour[path.pop()] = 2
                nexts.pop()
            elif colour[step] == 1:
                return tuple(path[path.index(step) :])
            elif colour[step] == 0:
                colour[step] = 1
                path.append(step)
                nexts.append(iter(succ[step]))
    return None


def topological_order(
    n: int, arcs: Sequence[tuple[int, int]], priority: Sequence[float] | None = None
) -> list[int]:
    """Tasks in an order that respects every arc (Kahn): of the ready tasks, the highest ``priority``
    first, else the smallest; the graph is acyclic.

    >>> topological_order(3, [(0, 2)]), topological_order(3, [(0, 2)], priority=[1, 5, 9])
    ([0, 1, 2], [1, 0, 2])
    """
    succ = successors(n, arcs)
    indegree = [0] * n
    for _, j in arcs:
        indegree[j] += 1
    ready = [i for i in range(n) if indegree[i] == 0]
    order: list[int] = []
    while ready:
        if priority is None:
            ready.sort(reverse=True)
        else:
            ready.sort(key=lambda i: (priority[i], -i))
        i = ready.pop()
        order.append(i)
        for j in succ[i]:
            indegree[j] -= 1
            if indegree[j] == 0:
                ready.append(j)
    return order


def all_successors(n: int, arcs: Sequence[tuple[int, int]]) -> list[frozenset[int]]:
    """Every task that must come after each task (the transitive closure of the arcs)."""
    succ = successors(n, arcs)
    closure: list[frozenset[int]] = [frozenset()] * n
    for i in reversed(topological_order(n, arcs)):
        reach: set[int] = set()
        for j in succ[i]:
            reach.add(j)
            reach |= closure[j]
        closure[i] = frozenset(reach)
    return closure


def all_predecessors(n: int, arcs: Sequence[tuple[int, int]]) -> list[frozenset[int]]:
    """Every task that must come before each task."""
    return all_successors(n, [(j, i) for i, j in arcs])

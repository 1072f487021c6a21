"""The machinery of the access policy: rules, matching a request to its rule, and the check that
every route of an app has one.

The table itself (which route, which roles) is :mod:`seamline.web.policy`. A rule names a route as
it is declared (method and path template, e.g. ``GET /api/v1/lines/{line_id}``) and the roles that
may call it; ``public`` rules need no credentials, ``page`` rules send an anonymous browser to the
sign-in page instead of answering 401. Mounted static files must live under a public prefix.

Requests are matched against the rules themselves (with Starlette's own path compiler), before the
app routes them; a request that matches no rule is answered 404 (or 405) without reaching the app,
so a route added behind the policy's back cannot be reached at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import fastapi.routing
from starlette.routing import Mount, compile_path

from seamline.auth.roles import Role
from seamline.errors import SeamlineError


class PolicyError(SeamlineError):
    """The policy does not cover the app's routes, or covers routes it does not have."""

    reason = "policy"


@dataclass(frozen=True, slots=True)
class Rule:
    method: str
    path: str
    roles: frozenset[Role] = frozenset()
    public: bool = False
    page: bool = False
    prefix: bool = False  # path is a prefix (a mount of static files), not a template
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.public and not self.roles:
            raise PolicyError(f"{self.method} {self.path}: a rule must be public or name its roles")
        regex = re.compile(re.escape(self.path) + ".*") if self.prefix else compile_path(self.path)[0]
        object.__setattr__(self, "regex", regex)

    def allows(self, role: Role) -> bool:
        return self.public or role in self.roles

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path


def api(method: str, path: str, *roles: Role | Iterable[Role]) -> Rule:
    """An API route: 401 without credentials, 403 for a role not listed."""
    return Rule(method.upper(), path, _roles(roles))


def page(path: str, *roles: Role | Iterable[Role]) -> Rule:
    """A browser page (GET): an anonymous visitor is sent to ``/login?next=...`` (303)."""
    return Rule("GET", path, _roles(roles), page=True)


def public(method: str, path: str) -> Rule:
    return Rule(method.upper(), path, public=True)


def public_prefix(prefix: str) -> Rule:
    """Everything under ``prefix`` (static assets), public."""
    return Rule("GET", prefix, public=True, prefix=True)


def _roles(groups: Sequence[Role | Iterable[Role]]) -> frozenset[Role]:
    out: set[Role] = set()
    for group in groups:
        out.update((group,) if isinstance(group, Role) else group)
    return frozenset(out)


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """One route of an app as the policy sees it."""

    methods: frozenset[str]
    path: str
    mount: bool


def app_routes(routes: Sequence[object]) -> Iterator[RouteSpec]:
    """Every route of an app (``app.routes``), routers included, in routing order."""
    contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    for route in contexts(routes) if contexts is not None else routes:
        original = getattr(route, "original_route", route)
        if isinstance(original, Mount):
            yield RouteSpec(frozenset(), original.path, mount=True)
            continue
        methods = frozenset(getattr(route, "methods", None) or ())
        path = getattr(route, "path", None)
        if isinstance(path, str):
            # HEAD rides along with GET (Starlette adds it); it is judged as GET
            yield RouteSpec(methods - {"HEAD"} if "GET" in methods else methods, path, mount=False)


class Policy:
    """The rules of one app, checked against its routes."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules = tuple(rules)
        self._by_key: dict[tuple[str, str], Rule] = {}
        for rule in self.rules:
            if rule.key in self._by_key:
                raise PolicyError(f"{rule.method} {rule.path} has two rules; keep one")
            self._by_key[rule.key] = rule
        self._check_overlaps()

    def rule(self, method: str, path: str) -> Rule | None:
        """The rule a request falls under (HEAD as GET), or None."""
        method = "GET" if method == "HEAD" else method
        for rule in self.rules:
            if rule.method == method and rule.regex.fullmatch(path):
                return rule
        return None

    def path_known(self, path: str) -> bool:
        return any(rule.regex.fullmatch(path) for rule in self.rules)

    def check(self, routes: Sequence[object]) -> None:
        """Raise unless every route has exactly the rules it needs and no rule names a missing route."""
        missing: list[str] = []
        used: set[tuple[str, str]] = set()
        for spec in app_routes(routes):
            if spec.mount:
                prefix = spec.path.rstrip("/") + "/"
                owner = next((r for r in self.rules if r.prefix and prefix.startswith(r.path)), None)
                if owner is None:
                    missing.append(
                        f"mount {spec.path} (static files go under a public prefix, e.g. /static/)"
                    )
                else:
                    used.add(owner.key)
                continue
            for method in sorted(spec.methods):
                if (method, spec.path) in self._by_key:
                    used.add((method, spec.path))
                else:
                    missing.append(f"{method} {spec.path}")
        if missing:
            raise PolicyError(
                "routes without an access rule: " + "; ".join(missing) + ". Add a rule for each to the"
                " table in seamline/web/policy.py (which roles may call it)."
            )
        stale = [f"{r.method} {r.path}" for r in self.rules if r.key not in used and not r.prefix]
        if stale:
            raise PolicyError(
                "access rules for routes the app does not have: " + "; ".join(stale) + ". Remove them"
                " from seamline/web/policy.py, or fix the path to match the route's."
            )

    def _check_overlaps(self) -> None:
        """Two templates one request could match (``/a/{x}`` and ``/a/b``) must allow the same roles:
        which of them the router picks then cannot change who gets in."""
        templates = [r for r in self.rules if not r.prefix]
        for i, a in enumerate(templates):
            for b in templates[i + 1 :]:
                if (
                    a.method == b.method
                    and _may_overlap(a.path, b.path)
                    and (a.roles != b.roles or a.public != b.public or a.page != b.page)
                ):
                    raise PolicyError(
                        f"{a.method} {a.path} and {b.path} can match the same request but allow"
                        " different callers; give them the same roles"
                    )


def _may_overlap(a: str, b: str) -> bool:
    pa, pb = a.strip("/").split("/"), b.strip("/").split("/")
    if any(":path}" in s for s in (*pa, *pb)):
        return True  # a {x:path} parameter spans segments: assume the worst
    return len(pa) == len(pb) and all(x == y or "{" in x or "{" in y for x, y in zip(pa, pb, strict=True))

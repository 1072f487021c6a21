"""``seamline user ...`` and ``seamline token ...``: accounts and API tokens from the command line.

They work while ``seamline serve`` runs (SQLite in WAL mode beside DuckDB; PostgreSQL as is).
Exit codes: 0 done, 1 a conflict or something unknown (duplicate user, unknown user or token, the
store unreachable), 2 bad input (unknown role, a name, password or language not accepted).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from seamline.auth.errors import AuthError, InvalidFieldError, UnknownRoleError
from seamline.auth.roles import DESCRIPTIONS, TOKEN_ROLES, USER_ROLES
from seamline.auth.service import Auth
from seamline.auth.setup import open_auth
from seamline.errors import SeamlineError
from seamline.settings import Settings
from seamline.timeutil import ms_to_iso

user_app = typer.Typer(
    help="Users who sign in to the web app (roles: " + ", ".join(USER_ROLES) + ").", no_args_is_help=True
)
token_app = typer.Typer(
    help="API tokens for scripts, devices and wall screens (roles: " + ", ".join(TOKEN_ROLES) + ").",
    no_args_is_help=True,
)
_out = Console(highlight=False, soft_wrap=True)
_err = Console(stderr=True, highlight=False, soft_wrap=True)

StoreUrl = Annotated[
    str | None,
    typer.Option("--store", help="postgresql://user@host:5432/db[?schema=s]; default: --data-dir"),
]
DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="where auth.sqlite3 lives, beside the DuckDB store [default: ./seamline-data]"
    ),
]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from the first line of stdin (no prompt)")
]


def _columns(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    """Plain aligned columns: whole values whatever the terminal's width (ids and times are copied)."""
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in (header, *rows)
    )


def _fail(message: str, code: int) -> NoReturn:
    _err.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(code)


@contextmanager
def _auth(data_dir: Path | None, store: str | None) -> Iterator[Auth]:
    if data_dir is not None and store is not None:
        _fail("give --data-dir (embedded store) or --store (PostgreSQL), not both", 2)
    overrides = {k: v for k, v in {"data_dir": data_dir, "store": store}.items() if v is not None}
    settings = Settings.model_validate(overrides)  # the environment (SEAMLINE_*) fills the rest
    try:
        auth = open_auth(settings.store, settings.data_dir)
    except SeamlineError as exc:
        _fail(exc.message, 1)
    try:
        yield auth
    except (UnknownRoleError, InvalidFieldError) as exc:
        _fail(exc.message, 2)
    except AuthError as exc:
        _fail(exc.message, 1)
    finally:
        auth.close()


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line.strip():
            _fail("--password-stdin: stdin held no password", 2)
        return line.rstrip("\r\n")
    password: str = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    return password


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="the user name they sign in with")],
    role: Annotated[str, typer.Option("--role", help=", ".join(USER_ROLES))],
    lang: Annotated[str | None, typer.Option("--lang", help="en or zh [default: the browser's]")] = None,
    password_stdin: PasswordStdin = False,
    data_dir: DataDir = None,
    store: StoreUrl = None,
) -> None:
    """Add a user (asks for the password twice unless --password-stdin)."""
    with _auth(data_dir, store) as auth:
        from seamline.auth.roles import parse_role  # noqa: PLC0415  # check the role before asking

        parse_role(role, for_token=False)
        user = auth.add_user(name, role, _password(password_stdin), lang=lang)
    _out.print(f"added user {escape(user.name)} ({user.role.value}: {DESCRIPTIONS[user.role]})")


@user_app.command("list")
def user_list(data_dir: DataDir = None, store: StoreUrl = None) -> None:
    """The users, their roles and languages."""
    with _auth(data_dir, store) as auth:
        users = auth.users()
    rows = [
        (u.name, u.role.value, u.lang or "browser", ms_to_iso(u.created_ms), ms_to_iso(u.password_changed_ms))
        for u in users
    ]
    header = ("user", "role", "lang", "created", "password changed")
    typer.echo(_columns(header, rows) if users else "no users yet: `seamline user add NAME --role admin`")


@user_app.command("passwd")
def user_passwd(
    name: Annotated[str, typer.Argument(help="the user")],
    password_stdin: PasswordStdin = False,
    data_dir: DataDir = None,
    store: StoreUrl = None,
) -> None:
    """Set a user's password; their sessions end."""
    with _auth(data_dir, store) as auth:
        auth.user(name)  # unknown: say so before asking for a password
        auth.set_password(name, _password(password_stdin))
    _out.print(f"password of {escape(name)} changed; their sessions ended")


@user_app.command("remove")
def user_remove(
    name: Annotated[str, typer.Argument(help="the user")],
    data_dir: DataDir = None,
    store: StoreUrl = None,
) -> None:
    """Remove a user and end their sessions (their API tokens stay until revoked)."""
    with _auth(data_dir, store) as auth:
        auth.remove_user(name)
    _out.print(f"removed user {escape(name)}")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option("--name", help="what it is for, e.g. wall-screen-1, line-3-gateway")],
    role: Annotated[str, typer.Option("--role", help=", ".join(TOKEN_ROLES))],
    expires_days: Annotated[
        float | None, typer.Option("--expires-days", help="days until it expires [default: never]")
    ] = None,
    data_dir: DataDir = None,
    store: StoreUrl = None,
) -> None:
    """Create an API token and print it once (only its hash is kept)."""
    with _auth(data_dir, store) as auth:
        secret, token = auth.create_token(name, role, created_by="cli", expires_days=expires_days)
    _err.print(
        f"created token {token.id} ({escape(token.name)}, {token.role.value}"
        + (f", expires {ms_to_iso(token.expires_ms)}" if token.expires_ms is not None else "")
        + "); it is shown only now: send it as 'Authorization: Bearer <token>'"
    )
    typer.echo(secret)  # alone on stdout, for TOKEN=$(seamline token create ...)


@token_app.command("list")
def token_list(data_dir: DataDir = None, store: StoreUrl = None) -> None:
    """The API tokens (never their secrets): id, name, role, state, created, expires, last used."""
    with _auth(data_dir, store) as auth:
        tokens, now = auth.tokens(), auth.clock()
    rows = [
        (
            t.id,
            t.name,
            t.role.value,
            t.state(now),
            t.created_by,
            ms_to_iso(t.created_ms),
            ms_to_iso(t.expires_ms) if t.expires_ms is not None else "never",
            ms_to_iso(t.last_used_ms) if t.last_used_ms is not None else "-",
        )
        for t in tokens
    ]
    header = ("id", "name", "role", "state", "created by", "created", "expires", "last used")
    typer.echo(
        _columns(header, rows) if tokens else "no API tokens yet: `seamline token create --name N --role R`"
    )


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="the token's id (seamline token list)")],
    data_dir: DataDir = None,
    store: StoreUrl = None,
) -> None:
    """Revoke an API token: it stops working at once."""
    with _auth(data_dir, store) as auth:
        token = auth.revoke_token(token_id)
    _out.print(f"revoked token {token.id} ({escape(token.name)})")

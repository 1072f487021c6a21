"""`seamline user ...` and `seamline token ...`, and the demo's ready-made admin."""

from __future__ import annotations

from pathlib import Path

from auth_helpers import FAST_HASHER
from typer.testing import CliRunner

from seamline.auth import ADMIN_TOKEN_FILE, Auth, Role, SqliteAuthStore, ensure_demo_admin, open_auth
from seamline.cli import app


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_users_from_the_command_line(tmp_path: Path) -> None:
    d = str(tmp_path / "data")
    code, out, _ = run(
        "user",
        "add",
        "mei",
        "--role",
        "quality",
        "--lang",
        "zh",
        "--password-stdin",
        "--data-dir",
        d,
        stdin="long enough\n",
    )
    assert code == 0, out
    assert "added user mei (quality" in out
    code, _, err = run(
        "user", "add", "mei", "--role", "viewer", "--password-stdin", "--data-dir", d, stdin="long enough\n"
    )
    assert code == 1
    assert "exists already" in err
    code, _, err = run(
        "user", "add", "li", "--role", "boss", "--password-stdin", "--data-dir", d, stdin="long enough\n"
    )
    assert code == 2
    assert "'boss' is not a role" in err
    code, _, err = run(
        "user", "add", "li", "--role", "viewer", "--password-stdin", "--data-dir", d, stdin="short\n"
    )
    assert code == 2
    assert "at least 8 characters" in err
    code, out, _ = run(
        "user", "add", "li", "--role", "viewer", "--data-dir", d, stdin="prompted pw\nprompted pw\n"
    )
    assert code == 0, out
    code, out, _ = run("user", "list", "--data-dir", d)
    assert code == 0
    assert [line.split()[:3] for line in out.splitlines()[1:]] == [
        ["li", "viewer", "browser"],
        ["mei", "quality", "zh"],
    ]
    assert run("user", "passwd", "mei", "--password-stdin", "--data-dir", d, stdin="another one\n")[0] == 0
    auth = open_auth(None, Path(d))
    assert auth.verify_password("mei", "another one").role is Role.QUALITY
    auth.close()
    assert run("user", "remove", "mei", "--data-dir", d)[0] == 0
    code, _, err = run("user", "remove", "mei", "--data-dir", d)
    assert code == 1
    assert "no user 'mei'" in err


def test_tokens_from_the_command_line(tmp_path: Path) -> None:
    d = str(tmp_path / "data")
    code, out, err = run(
        "token", "create", "--name", "wall-1", "--role", "kiosk", "--expires-days", "30", "--data-dir", d
    )
    assert code == 0, err
    secret = out.strip()
    assert secret.startswith("sl_")
    assert "shown only now" in err
    code, out, _ = run("token", "list", "--data-dir", d)
    assert code == 0
    assert secret not in out
    token_id, name, role, state = out.splitlines()[1].split()[:4]
    assert (name, role, state) == ("wall-1", "kiosk", "active")
    assert run("token", "revoke", token_id, "--data-dir", d)[0] == 0
    assert run("token", "list", "--data-dir", d)[1].splitlines()[1].split()[3] == "revoked"
    code, _, err = run("token", "revoke", "nope", "--data-dir", d)
    assert code == 1
    assert "no API token with id 'nope'" in err
    code, _, err = run("token", "create", "--name", "x", "--role", "root", "--data-dir", d)
    assert code == 2
    assert "'root' is not a role" in err


def test_the_demo_admin_token_stays_valid_across_restarts(tmp_path: Path) -> None:
    auth = Auth(SqliteAuthStore(tmp_path).open(), hasher=FAST_HASHER)
    first = ensure_demo_admin(auth, tmp_path)
    assert first.password is not None
    assert (tmp_path / ADMIN_TOKEN_FILE).stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "admin-password").stat().st_mode & 0o777 == 0o600
    token = (tmp_path / ADMIN_TOKEN_FILE).read_text().strip()
    assert auth.token_principal(token).role is Role.ADMIN
    assert auth.verify_password("admin", first.password).role is Role.ADMIN
    again = ensure_demo_admin(auth, tmp_path)
    assert again.password is None
    assert not again.token_renewed
    assert (tmp_path / ADMIN_TOKEN_FILE).read_text().strip() == token
    for t in auth.tokens():
        auth.revoke_token(t.id)
    renewed = ensure_demo_admin(auth, tmp_path)
    assert renewed.token_renewed
    assert auth.token_principal((tmp_path / ADMIN_TOKEN_FILE).read_text().strip()).role is Role.ADMIN
    auth.close()

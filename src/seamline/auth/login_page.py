"""The sign-in page: a plain form posted to ``/login``, in English or Simplified Chinese.

Self-contained on purpose (no script, no external asset): it must work before anything else of
the web app is allowed to load. The web pages may replace it with a styled template that posts the
same fields (``username``, ``password``, ``next``).
"""

from __future__ import annotations

from html import escape
from typing import Final

TEXT: Final = {
    "en": {
        "title": "Sign in · Seamline",
        "heading": "Sign in to Seamline",
        "username": "User name",
        "password": "Password",
        "submit": "Sign in",
        "failed": "Wrong user name or password.",
        "throttled": "Too many attempts. Try again in {s} s.",
        "signed_in": "Signed in as {name}.",
    },
    "zh": {
        "title": "登录 · Seamline",
        "heading": "登录 Seamline",
        "username": "用户名",
        "password": "密码",
        "submit": "登录",
        "failed": "用户名或密码错误。",
        "throttled": "尝试次数过多，请 {s} 秒后再试。",
        "signed_in": "已登录：{name}。",
    },
}


def login_html(lang: str, *, next_url: str = "/", message: str | None = None, username: str = "") -> str:
    t = TEXT.get(lang, TEXT["en"])
    note = f'<p role="alert" class="error">{escape(message)}</p>' if message else ""
    return f"""<!doctype html>
<html lang="{"zh-CN" if lang == "zh" else "en"}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(t["title"])}</title><link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<style>
body {{ font-family: system-ui, sans-serif; background: #10161f; color: #e8edf3; display: grid;
       place-items: center; min-height: 100vh; margin: 0; }}
form {{ background: #1b2430; padding: 2rem; border-radius: 8px; min-width: 18rem; }}
label {{ display: block; margin-top: 1rem; }}
input {{ width: 100%; padding: .5rem; margin-top: .25rem; box-sizing: border-box; font-size: 1rem; }}
button {{ margin-top: 1.5rem; width: 100%; padding: .6rem; font-size: 1rem; }}
.error {{ color: #ff8a80; }}
</style></head>
<body><form method="post" action="/login">
<h1>{escape(t["heading"])}</h1>{note}
<input type="hidden" name="next" value="{escape(next_url)}">
<label>{escape(t["username"])}<input name="username" autocomplete="username" required
 value="{escape(username)}" autofocus></label>
<label>{escape(t["password"])}<input name="password" type="password" autocomplete="current-password"
 required></label>
<button type="submit">{escape(t["submit"])}</button>
</form></body></html>
"""

"""The HTML of the simulated AWS device-verification page (a person in the demo clicks Approve)."""

from __future__ import annotations

from html import escape

from aiohttp import web

from services.simulator.state import DeviceAuthorization

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem;color:#16191f}
h1{font-size:1.4rem} .code{font:600 1.6rem monospace;letter-spacing:.15em;margin:1rem 0}
form{display:inline-block;margin-right:.5rem} button{font-size:1rem;padding:.5rem 1.4rem;cursor:pointer}
.approve{background:#ff9900;border:1px solid #ec7211} .muted{color:#5f6b7a;font-size:.9rem}
"""


def _html(title: str, body: str, status: int = 200) -> web.Response:
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body>{body}"
            "<p class='muted'>q2api simulator — AWS Builder ID stand-in</p></body></html>")
    return web.Response(text=page, content_type="text/html", status=status)


def device_page(device: DeviceAuthorization | None, client_name: str) -> web.Response:
    if device is None:
        return _html("Authorize request", """
<h1>Authorize request</h1><p>Enter the code shown by the application.</p>
<form method="get" action="device"><input name="user_code" placeholder="ABCD-EFGH" autofocus>
<button type="submit">Next</button></form>""")
    code = escape(device.user_code)
    return _html("Authorize request", f"""
<h1>Allow {escape(client_name or 'this application')} to access your data?</h1>
<p>Confirm that this code matches the one the application shows:</p>
<div class="code">{code}</div>
<p class="muted">Start URL: {escape(device.start_url)}</p>
<form method="post" action="device"><input type="hidden" name="user_code" value="{code}">
<input type="hidden" name="action" value="approve"><button class="approve" type="submit">Approve</button></form>
<form method="post" action="device"><input type="hidden" name="user_code" value="{code}">
<input type="hidden" name="action" value="deny"><button type="submit">Deny</button></form>""")


def result_page(title: str, message: str, status: int = 200) -> web.Response:
    return _html(title, f"<h1>{escape(title)}</h1><p>{escape(message)}</p>", status)

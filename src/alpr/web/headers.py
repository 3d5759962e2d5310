"""Security headers on every answer: no framing (clickjacking), no MIME sniffing, no
referrer leaking a URL, a Content-Security-Policy that allows only this server's own
scripts, and no caching of console pages (they show plates and names)."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def content_security_policy(tile_url: str | None) -> str:
    images = "'self' data: blob:"
    if tile_url:
        # A tile template like https://{s}.tile.example.org/{z}/{x}/{y}.png: its origin,
        # with Leaflet's subdomain placeholder as a wildcard.
        parts = urlsplit(tile_url.replace("{s}", "*"))
        images += f" {parts.scheme}://{parts.netloc}"
    return ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
            f" img-src {images}; connect-src 'self'; frame-ancestors 'none';"
            " base-uri 'self'; form-action 'self'; object-src 'none'")


class SecurityHeaders:
    """Plain ASGI middleware (it leaves streamed answers, such as the alert stream, alone)."""

    def __init__(self, app: ASGIApp, *, tile_url: str | None) -> None:
        self.app = app
        self.headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"content-security-policy", content_security_policy(tile_url).encode()),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [h for h in self.headers if h[0] not in present]
                is_html = any(name.lower() == b"content-type" and value.startswith(b"text/html")
                              for name, value in headers)
                if is_html and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)

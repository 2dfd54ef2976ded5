"""The pages' static files (one stylesheet, a service's small scripts), served by every
service at ``/static/<name>`` from memory, with a cache header.

A service lists its own static folder before the shared one, so it may add files (the
board's ``board.js``) beside ``motcua.css``. Templates link ``static_url(name)``, which
carries the file's content hash: a versioned URL is cached for a year, since a new
release changes the hash; an unversioned one for five minutes.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

SHARED_STATIC = Path(__file__).parent / "static"
SERVED_SUFFIXES = frozenset({".css", ".js", ".svg", ".png", ".ico", ".woff2"})
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"


@dataclass(frozen=True)
class Asset:
    name: str
    body: bytes
    content_type: str
    version: str

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


class StaticAssets:
    """The files of the given folders, read once; the first folder naming a file wins."""

    def __init__(self, *directories: Path) -> None:
        self._assets: dict[str, Asset] = {}
        for directory in (*directories, SHARED_STATIC):
            for path in sorted(directory.iterdir()) if directory.is_dir() else ():
                if path.suffix in SERVED_SUFFIXES and path.name not in self._assets:
                    body = path.read_bytes()
                    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    version = hashlib.sha256(body).hexdigest()[:12]
                    self._assets[path.name] = Asset(path.name, body, content_type, version)

    def get(self, name: str) -> Asset | None:
        """Only the names found in the folders: no path from a URL ever reaches the disk."""
        return self._assets.get(name)

    def url(self, name: str) -> str:
        asset = self._assets.get(name)
        if asset is None:
            raise LookupError(f"no static file {name!r}")
        return f"/static/{name}?v={asset.version}"

    def headers(self, asset: Asset, version: str | None) -> dict[str, str]:
        return {
            "Cache-Control": IMMUTABLE if version == asset.version else SHORT,
            "ETag": asset.etag,
        }


def starlette_endpoint(assets: StaticAssets) -> Callable[[Request], Awaitable[Response]]:
    async def static(request: Request) -> Response:
        asset = assets.get(request.path_params["name"])
        if asset is None:
            return Response("not found", status_code=404, media_type="text/plain")
        headers = assets.headers(asset, request.query_params.get("v"))
        if request.headers.get("if-none-match") == asset.etag:
            return Response(status_code=304, headers=headers)
        return Response(asset.body, media_type=asset.content_type, headers=headers)

    return static


def mount_starlette_static(app: Starlette, assets: StaticAssets) -> None:
    """``GET /static/{name}`` on a FastAPI/Starlette application (ratings), kept out of
    the OpenAPI document."""
    app.add_route("/static/{name}", starlette_endpoint(assets), methods=["GET", "HEAD"])

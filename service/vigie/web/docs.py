"""``/docs``: the API's Swagger UI with its assets served by Vigie, so that it works on a closed
network (FastAPI's default loads them from a CDN). The assets come from the pinned
``swagger-ui-bundle-v2`` package (Swagger UI 5, which reads OpenAPI 3.1); only the files named
here are served. The app is created with ``docs_url=None, redoc_url=None`` so that this route is
the only one.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse
from swagger_ui_bundle import swagger_ui_path

router = APIRouter(include_in_schema=False)
ASSETS = "/docs/assets"
_SERVED = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=request.app.openapi_url or "/openapi.json",
        title=f"{request.app.title} — API",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        oauth2_redirect_url="/docs/oauth2-redirect",
    )


@router.get("/docs/oauth2-redirect")
def oauth2_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get(f"{ASSETS}/{{name}}")
def asset(name: str) -> FileResponse:
    if name not in _SERVED:
        raise HTTPException(404, "not found")
    return FileResponse(
        Path(swagger_ui_path) / name, media_type=_SERVED[name],
        headers={"Cache-Control": "public, max-age=86400"},
    )  # fmt: skip

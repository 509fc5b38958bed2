"""The API's documentation pages, served offline: Swagger UI at ``/api/v1/docs`` and ReDoc at
``/api/v1/redoc``, both from the front-end packages installed from npm into ``static/vendor``
(FastAPI's own pages load them from a CDN and start them with an inline script, which the
pages' content-security policy refuses). Both read ``/api/v1/openapi.json``."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pingan 平安 API · {title}</title>
<link rel="icon" href="/static/img/shield.svg" type="image/svg+xml">
{head}</head>
<body data-spec="/api/v1/openapi.json">
{body}
</body></html>
"""


@router.get("/api/v1/docs", response_class=HTMLResponse)
def swagger_ui() -> HTMLResponse:
    """Swagger UI: try the API in the browser (a bearer token from ``pingan users token``)."""
    return HTMLResponse(
        _PAGE.format(
            title="Swagger UI",
            head='<link rel="stylesheet" href="/static/vendor/swagger-ui.css">',
            body='<div id="swagger-ui"></div>\n'
            '<script src="/static/vendor/swagger-ui-bundle.js"></script>\n'
            '<script src="/static/js/api_docs.js"></script>',
        )
    )


@router.get("/api/v1/redoc", response_class=HTMLResponse)
def redoc() -> HTMLResponse:
    """ReDoc: the API reference on one page."""
    return HTMLResponse(
        _PAGE.format(
            title="ReDoc",
            head="",
            body='<div id="redoc"></div>\n'
            '<script src="/static/vendor/redoc.standalone.js"></script>\n'
            '<script src="/static/js/api_docs.js"></script>',
        )
    )

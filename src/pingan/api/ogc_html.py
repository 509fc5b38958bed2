"""The HTML form (``f=html``) of every OGC API Features resource: the same document as the
JSON, as a plain page a browser shows (title, description, links, and a table of collections,
features or properties). No script, no style sheet, nothing loaded from elsewhere."""

from __future__ import annotations

import json
from html import escape
from typing import Any

__all__ = ["page"]

_MAX_CELL = 200


def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if len(text) > _MAX_CELL:
        text = text[: _MAX_CELL - 1] + "…"
    return escape(text)


def _links(links: list[dict[str, Any]]) -> str:
    items = "".join(
        f'<li><a href="{escape(str(link.get("href", "")))}">'
        f"{escape(str(link.get('title') or link.get('rel', '')))}</a>"
        f" <small>({escape(str(link.get('rel', '')))}, {escape(str(link.get('type', '')))})"
        "</small></li>"
        for link in links
    )
    return f"<h2>Links 链接</h2><ul>{items}</ul>" if items else ""


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(r.get(c, ''))}</td>" for c in columns) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _content(body: dict[str, Any]) -> str:
    if "collections" in body:
        rows = [
            {**c, "links": next((k["href"] for k in c["links"] if k["rel"] == "items"), "")}
            for c in body["collections"]
        ]
        return "<h2>Collections 图层</h2>" + _table(rows, ["id", "title", "description", "links"])
    if body.get("type") == "FeatureCollection":
        feats = body["features"]
        props = sorted({k for g in feats for k in g.get("properties", {})})
        rows = [{"id": g.get("id"), **g.get("properties", {})} for g in feats]
        matched = body.get("numberMatched")
        counts = (
            f"<p>{body['numberReturned']} of {matched} features (共 {matched} 个要素)</p>"
            if matched is not None
            else f"<p>{body['numberReturned']} of more than 10,000 features "
            "(超过 10,000 个要素)</p>"
        )
        return counts + _table(rows, ["id", *props])
    if body.get("type") == "Feature":
        props = body.get("properties", {})
        rows = [{"property": k, "value": v} for k, v in props.items()]
        rows.append({"property": "geometry", "value": body.get("geometry")})
        return _table(rows, ["property", "value"])
    if "conformsTo" in body:
        return "<ul>" + "".join(f"<li>{escape(c)}</li>" for c in body["conformsTo"]) + "</ul>"
    if "properties" in body:  # queryables
        rows = [{"name": k, **v} for k, v in body["properties"].items()]
        return _table(rows, ["name", "type", "format"])
    extent = body.get("extent")
    return (
        f"<pre>{escape(json.dumps(extent, ensure_ascii=False, indent=1))}</pre>" if extent else ""
    )


def page(body: dict[str, Any]) -> str:
    """The HTML page of one OGC API document (landing page, collections, items, …)."""
    title = str(body.get("title") or body.get("id") or body.get("type") or "OGC API")
    description = body.get("description")
    desc = f"<p>{escape(str(description))}</p>" if description else ""
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head><body>"
        f"<h1>{escape(title)}</h1>{desc}{_content(body)}{_links(body.get('links', []))}"
        "</body></html>"
    )

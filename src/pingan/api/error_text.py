"""Every API error in the request's language: a stable ``key``, its ``params`` and a ``display``
text that pages show as it is (so no English appears on a Chinese page).

The English ``message`` of an error stays as it was (clients and tests read it); the error
handlers add three members to ``{"error": {...}}``:

- ``key``: a stable, finer code than ``code`` (``forbidden_role``, ``forbidden_scope``,
  ``invalid_missing``, ``conflict_unit_busy``, ...): a client may translate it itself;
- ``params``: the values the text names (``field``, ``role``, ``action``, ``max_length``, ...),
  identifiers and numbers only, never free text;
- ``display``: the text in the request's language (zh-CN or en), from ``key`` and ``params``.

The language is the page's: the ``lang`` of the web session, then the ``pingan_lang`` cookie;
a signed-in page's call without either is in the default language (``PINGAN_DEFAULT_LANGUAGE``,
zh-CN), as its page is whatever the browser's own language; other clients get the first of
``Accept-Language`` that is served, then the default. A
message with no specific key falls back to the text of its ``code`` (e.g. "与当前状态冲突"),
never to the English message. Cost: a few regular-expression matches per error.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request
from starlette.types import Scope

__all__ = ["LANGUAGES", "TEXTS", "explain", "request_language", "shown_json"]

LANGUAGES = ("zh-CN", "en")

TEXTS: dict[str, tuple[str, str]] = {
    # key: (zh-CN, en); {name} is taken from params
    "internal": (
        "服务器内部错误（{at} UTC），原因已记入服务器日志；如请求已更改数据，请先核实再重发",
        "Internal error at {at} UTC: the server's log has the cause; if the request changed "
        "something, look it up before sending it again",
    ),
    "invalid": ("输入有误：{field} 的值无效", "Invalid input: {field} is not valid"),
    "invalid_missing": ("请填写 {field}（必填）", "{field} is required"),
    "invalid_too_long": (
        "{field} 过长：最多 {max_length} 个字符",
        "{field} is too long: at most {max_length} characters",
    ),
    "invalid_too_short": (
        "{field} 过短：至少 {min_length} 个字符",
        "{field} is too short: at least {min_length} characters",
    ),
    "invalid_too_small": ("{field} 应不小于 {limit}", "{field} must be at least {limit}"),
    "invalid_too_large": ("{field} 应不大于 {limit}", "{field} must be at most {limit}"),
    "invalid_not_integer": ("{field} 应为整数", "{field} must be an integer"),
    "invalid_not_number": ("{field} 应为数字", "{field} must be a number"),
    "invalid_not_bool": ("{field} 应为是或否", "{field} must be true or false"),
    "invalid_not_datetime": ("{field} 应为日期时间", "{field} must be a date and time"),
    "invalid_not_date": ("{field} 应为日期", "{field} must be a date"),
    "invalid_choice": ("{field} 应为以下之一：{expected}", "{field} must be one of {expected}"),
    "invalid_extra": ("不接受字段 {field}", "{field} is not an accepted field"),
    "invalid_json": ("请求内容格式有误，无法解析", "The body is not valid JSON"),
    "invalid_polygon": (
        "{field} 不是有效的多边形（边线相交或顶点重合）",
        "{field} is not a valid polygon (edges cross or vertices repeat)",
    ),
    "invalid_perimeter_venue": (
        "安检圈必须完整包含场馆",
        "The perimeter must hold the whole venue",
    ),
    "invalid_perimeter_control": (
        "安检圈必须位于管制圈之内",
        "The perimeter must lie inside the control ring",
    ),
    "invalid_control_perimeter": (
        "管制圈必须完整包含安检圈",
        "The control ring must hold the whole perimeter",
    ),
    "invalid_type": ("{field} 的类型不对", "{field} has the wrong type"),
    "not_found": ("未找到，或不在您的辖区内", "Not found, or outside your jurisdiction"),
    "conflict": (
        "与当前状态冲突，未做更改（{field}）",
        "Conflicts with the current state; nothing was changed ({field})",
    ),
    "conflict_idempotency": (
        "该幂等键已用于另一个不同的请求",
        "The Idempotency-Key was already used with a different request",
    ),
    "conflict_unit_busy": (
        "该警力当前{status}{on_incident}，不可派出；请先结束其当前任务，或另派警力",
        "That unit is {status}{on_incident}, not available; clear its assignment first or send "
        "another",
    ),
    "conflict_incident_closed": (
        "该警情已处于 {state} 状态，只能向未结警情派警",
        "The incident is {state}; units can only be sent to open incidents",
    ),
    "illegal_transition": (
        "不能从状态 {current} 变为 {target}；允许：{allowed}",
        "Cannot go from {current} to {target}; allowed: {allowed}",
    ),
    "forbidden": ("无权执行此操作", "You may not do this"),
    "forbidden_role": (
        "您的角色（{role}）无权执行此操作（{action}）",
        "Your role ({role}) may not do this ({action})",
    ),
    "forbidden_scope": ("超出您的辖区范围", "Outside your jurisdiction"),
    "forbidden_csrf": (
        "页面已过期，请刷新后重试",
        "The page has expired: reload it and try again",
    ),
    "unauthenticated": ("请先登录", "Please sign in"),
    "locked": (
        "账号因多次登录失败已被锁定，请稍后再试或联系管理员",
        "The account is locked after repeated failed sign-ins; try later or ask an administrator",
    ),
    "too_many_requests": (
        "请求过于频繁，请 {retry_after_s} 秒后再试",
        "Too many attempts: try again in {retry_after_s} s",
    ),
    "unavailable": (
        "数据库暂时不可用，未做任何更改，请稍后重试",
        "The database is unavailable for a moment; nothing was done, try again shortly",
    ),
    "unavailable_unknown": (
        "提交时与数据库的连接中断，本次更改可能已保存，也可能未保存；请先核实再重发"
        "（带相同幂等键的请求可安全重发）",
        "The connection to the database was lost while it saved: the change may or may not "
        "have been saved; look it up before sending it again (the same Idempotency-Key is safe)",
    ),
    "overloaded": (
        "服务器繁忙，未做任何更改，请稍后重试",
        "The server is busy; nothing was done, try again shortly",
    ),
    "too_large": (
        "请求内容过大（最多 {limit} 字节）",
        "The request is too large (at most {limit} bytes)",
    ),
    "method_not_allowed": ("不支持该请求方法", "That method is not allowed here"),
    "http_error": ("请求未能完成", "The request could not be completed"),
}

_PYDANTIC: dict[str, str] = {
    "missing": "invalid_missing",
    "string_too_long": "invalid_too_long",
    "too_long": "invalid_too_long",
    "string_too_short": "invalid_too_short",
    "too_short": "invalid_too_short",
    "greater_than": "invalid_too_small",
    "greater_than_equal": "invalid_too_small",
    "less_than": "invalid_too_large",
    "less_than_equal": "invalid_too_large",
    "int_parsing": "invalid_not_integer",
    "int_type": "invalid_not_integer",
    "int_from_float": "invalid_not_integer",
    "float_parsing": "invalid_not_number",
    "float_type": "invalid_not_number",
    "bool_parsing": "invalid_not_bool",
    "bool_type": "invalid_not_bool",
    "datetime_parsing": "invalid_not_datetime",
    "datetime_type": "invalid_not_datetime",
    "datetime_from_date_parsing": "invalid_not_datetime",
    "date_parsing": "invalid_not_date",
    "date_from_datetime_parsing": "invalid_not_date",
    "literal_error": "invalid_choice",
    "enum": "invalid_choice",
    "extra_forbidden": "invalid_extra",
    "json_invalid": "invalid_json",
    "model_attributes_type": "invalid_type",
    "dict_type": "invalid_type",
    "list_type": "invalid_type",
    "string_type": "invalid_type",
}
_ROLE = re.compile(r"^role '(?P<role>[\w-]+)' may not .*\((?P<action>[\w.]+)\)")
_UNIT_BUSY = re.compile(r"^unit \S+ is (?P<status>\w+)")
_CLOSED = re.compile(r"^incident \S+ is (?P<state>\w+); units can only be sent to open")
_LIMIT = re.compile(r"larger than (?P<limit>\d+) bytes")
_INVALID: tuple[tuple[str, str], ...] = (  # (start of the message, key): an event's zones
    ("not a valid polygon", "invalid_polygon"),
    ("the perimeter must hold the whole venue", "invalid_perimeter_venue"),
    ("the perimeter must lie inside the control ring", "invalid_perimeter_control"),
    ("the control ring must hold the whole perimeter", "invalid_control_perimeter"),
)


ROLE_NAMES_ZH: dict[str, str] = {
    "admin": "管理员",
    "commander": "指挥长",
    "dispatcher": "接处警员",
    "station_chief": "派出所所长",
    "community_officer": "社区民警",
    "analyst": "研判分析员",
    "supervisor": "督察员",
    "volunteer": "群防群治队员",
}
"""A role's name on a Chinese page (``params`` keep the code)."""

UNIT_STATUS_ZH: dict[str, str] = {
    "available": "空闲",
    "dispatched": "已派出",
    "en_route": "在途",
    "on_scene": "在现场",
    "off_duty": "下勤",
}
"""A unit's status on a Chinese page, as the unit board names it (``params`` keep the code)."""


class _Blank(dict[str, Any]):
    """Params for ``str.format_map``: a name the error did not give reads as a dash."""

    def __missing__(self, key: str) -> str:
        return "—"


def request_language(request: Request) -> str:
    """The page's language for ``request`` (see the module docstring)."""
    session = request.scope.get("session")
    lang = session.get("lang") if isinstance(session, dict) else None
    lang = lang or request.cookies.get("pingan_lang")
    if lang in LANGUAGES:
        return str(lang)
    settings = getattr(getattr(request.scope.get("app"), "state", None), "settings", None)
    default = str(getattr(settings, "default_language", LANGUAGES[0]))
    default = default if default in LANGUAGES else LANGUAGES[0]
    if isinstance(session, dict) and session.get("uid") is not None:
        return default  # a page's call: the page is in the default (the browser's is not)
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return default


def _key_of(error: dict[str, Any], params: dict[str, Any]) -> str:
    """The fine key of an error body, filling ``params`` from its message and detail."""
    code = str(error.get("code", "http_error"))
    message = str(error.get("message", ""))
    detail = error.get("detail") or {}
    if code == "forbidden":
        m = _ROLE.match(message)
        if m:
            params.update(role=m["role"], action=m["action"])
            return "forbidden_role"
        if "outside your jurisdiction" in message or "outside the bureau" in message:
            return "forbidden_scope"
        if params.get("field") == "x-csrf-token":
            return "forbidden_csrf"
        return "forbidden"
    if code == "conflict":
        if params.get("field") == "Idempotency-Key":
            return "conflict_idempotency"
        m = _UNIT_BUSY.match(message)
        if m and params.get("field") == "resource_id":
            params["status"] = str(detail.get("status") or m["status"])
            if detail.get("incident_code"):
                params["incident_code"] = str(detail["incident_code"])
            return "conflict_unit_busy"
        m = _CLOSED.match(message)
        if m:
            params["state"] = m["state"]
            return "conflict_incident_closed"
        return "conflict"
    if code == "illegal_transition":
        allowed = detail.get("allowed") or []
        params.update(
            current=detail.get("current", ""),
            target=detail.get("target", ""),
            allowed=", ".join(str(a) for a in allowed) or "—",
        )
        return code
    if code == "invalid":
        reason = message.split(": ", 1)[-1]  # Invalid's message is "field: reason"
        return next((k for start, k in _INVALID if reason.startswith(start)), "invalid")
    if code == "not_found":
        return "not_found"
    if code == "too_many_requests":
        params["retry_after_s"] = detail.get("retry_after_s", 60)
        return code
    if code == "internal":
        params["at"] = str(detail.get("at", ""))[:19].replace("T", " ")
        return code
    if code == "unavailable" and detail.get("outcome") == "unknown":
        return "unavailable_unknown"
    if code == "too_large":
        m = _LIMIT.search(message)
        params["limit"] = int(m["limit"]) if m else 0
        return code
    return code if code in TEXTS else "http_error"


def _validation_key(first: dict[str, Any], params: dict[str, Any]) -> str:
    """The key of a request-validation error (the first of pydantic's list)."""
    key = _PYDANTIC.get(str(first.get("type", "")), "invalid")
    ctx = first.get("ctx") or {}
    if key in ("invalid_too_long", "invalid_too_short"):
        name = "max_length" if key == "invalid_too_long" else "min_length"
        params[name] = ctx.get(name, ctx.get("max_length", ctx.get("min_length", "")))
    elif key in ("invalid_too_small", "invalid_too_large"):
        for name in ("ge", "gt", "le", "lt"):
            if name in ctx:
                params["limit"] = ctx[name]
    elif key == "invalid_choice":
        params["expected"] = str(ctx.get("expected", "")).replace("'", "")
    return key


def explain(
    error: dict[str, Any], lang: str, *, validation: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``error`` (the inside of ``{"error": ...}``) with ``key``, ``params`` and ``display`` in
    ``lang`` added; ``validation``: pydantic's first error of a request-validation failure."""
    params: dict[str, Any] = {}
    if error.get("field"):
        params["field"] = error["field"]
    valid = validation is not None
    key = _validation_key(validation or {}, params) if valid else _key_of(error, params)
    zh, en = TEXTS[key]
    template = en if lang == "en" else zh
    shown = dict(params)
    if lang != "en" and "role" in shown:
        shown["role"] = ROLE_NAMES_ZH.get(str(shown["role"]), shown["role"])
    if key == "conflict_unit_busy":  # which incident holds the unit, when one does
        code = shown.get("incident_code")
        if lang == "en":
            shown["on_incident"] = f" on incident {code}" if code else ""
        else:
            shown["status"] = UNIT_STATUS_ZH.get(str(shown["status"]), shown["status"])
            shown["on_incident"] = f"（正在处置警情 {code}）" if code else ""
    display = template.format_map(_Blank(shown))
    return {**error, "key": key, "params": params, "display": display}


def shown_json(scope: Scope, body: dict[str, Any]) -> bytes:
    """The JSON bytes of an error ``body`` answered by a middleware (below the routes' handlers),
    with its key, params and text in the language of the request of ``scope``."""
    lang = request_language(Request(scope))
    return json.dumps({**body, "error": explain(body["error"], lang)}).encode()

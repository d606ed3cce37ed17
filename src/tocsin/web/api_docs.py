"""The API reference: the OpenAPI document as one plain HTML page, rendered on the server.

FastAPI's own /docs loads Swagger UI from a CDN, which a server without internet access
(or a browser behind a strict proxy) cannot reach; this page needs nothing but itself, and
no JavaScript. The machine-readable document stays at the app's `openapi_url`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from tocsin.web.rendering import page

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    where: str  # path, query, header, body property
    type: str
    required: bool
    description: str


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str
    anchor: str
    summary: str
    description: str
    tag: str
    secured: bool
    parameters: list[Field]
    body: str  # the request body's schema name or type, "" without one
    responses: list[tuple[str, str, str]]  # status, description, schema


def type_of(schema: dict[str, Any]) -> str:
    """A schema in a few words: `Incident`, `array of string`, `integer`, `string | null`."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return " | ".join(type_of(s) for s in schema[key])
    kind = schema.get("type", "")
    if kind == "array":
        return f"array of {type_of(schema.get('items', {}))}"
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    return str(kind or "object")


def body_of(content: dict[str, Any]) -> str:
    return ", ".join(f"{media}: {type_of(c.get('schema', {}))}" for media, c in content.items())


def parameter(p: dict[str, Any]) -> Field:
    schema_type = type_of(p.get("schema", {}))
    return Field(p["name"], p["in"], schema_type, bool(p.get("required")), p.get("description", ""))


def operations(document: dict[str, Any]) -> list[Operation]:
    found: list[Operation] = []
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = [parameter(p) for p in op.get("parameters", [])]
            body = body_of(op.get("requestBody", {}).get("content", {}))
            responses = [
                (str(code), r.get("description", ""), body_of(r.get("content", {})))
                for code, r in sorted(op.get("responses", {}).items())
            ]
            anchor = f"{method}-{op.get('operationId', path)}"
            tag = (op.get("tags") or ["other"])[0]
            summary, description = op.get("summary", ""), op.get("description", "")
            secured = bool(op.get("security"))
            found.append(
                Operation(
                    method.upper(),
                    path,
                    anchor,
                    summary,
                    description,
                    tag,
                    secured,
                    params,
                    body,
                    responses,
                )
            )
    return found


def schemas(document: dict[str, Any]) -> list[tuple[str, list[Field]]]:
    found = []
    for name, schema in sorted(document.get("components", {}).get("schemas", {}).items()):
        required = set(schema.get("required", []))
        fields = [
            Field(prop, "body", type_of(s), prop in required, s.get("description", ""))
            for prop, s in schema.get("properties", {}).items()
        ]
        found.append((name, fields))
    return found


def api_docs(request: Request) -> HTMLResponse:
    """The page at the app's docs path (public, as the OpenAPI document is)."""
    document = request.app.openapi()
    schemes = document.get("components", {}).get("securitySchemes", {})
    context = {
        "info": document.get("info", {}),
        "openapi_url": request.app.openapi_url,
        "operations": operations(document),
        "schemas": schemas(document),
        "schemes": schemes,
    }
    return page(request, "api_docs.html", context)

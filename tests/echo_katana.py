"""A Katana stand-in (or the proxy in front of it) that echoes the request's headers back
inside its error bodies, in every error shape the wire catalog knows. Used to prove that
no echo of the key ever leaves the server."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote

from katana_sn_mcp.sandbox import Sandbox


def _bodies(headers: dict[str, str], status: int) -> dict[str, Any]:
    auth = headers.get("authorization", "")
    key = auth.removeprefix("Bearer ")
    dump = "\r\n".join(f"{k}: {v}" for k, v in headers.items())
    name = {400: "BadRequestError", 401: "UnauthorizedError", 404: "NotFoundError",
            422: "UnprocessableEntityError", 429: "TooManyRequestsError"}.get(status, "Error")
    return {
        "nested_message": {"error": {"statusCode": status, "name": name,
                                     "message": f"Request rejected; headers={json.dumps(headers)}"}},
        "flat_message": {"statusCode": status, "name": name, "message": f"authorization: {auth}"},
        "name_field": {"error": {"statusCode": status, "name": auth, "message": "No entity found"}},
        "ajv_v8": {"statusCode": 422, "name": "UnprocessableEntityError", "code": "VALIDATION_FAILED",
                   "message": "The request body is invalid.",
                   "details": [{"path": "/resource_type", "code": "enum", "message": f"bad {auth}",
                                "info": {"allowedValues": [key], "headers": headers}}]},
        "ajv_v6": {"error": {"statusCode": 422, "name": "UnprocessableEntityError",
                             "message": "invalid", "details": [
                                 {"dataPath": f".{key}", "keyword": "enum", "message": key,
                                  "params": {"allowedValues": [auth]}}]}},
        "plain_text": dump.encode(),
        "html": f"<html><body><h1>{status}</h1><pre>{dump}</pre></body></html>".encode(),
        "bare_key": {"message": f"The key {key} is not valid for this account"},
        "error_string": {"error": f"upstream said: {auth}"},
        "base64": {"message": "token " + base64.b64encode(key.encode()).decode()},
        "url_encoded": {"message": f"GET /v1/serial_numbers?api_key={quote(key, safe='')}"},
        "code_field": {"error": {"statusCode": status, "code": key, "message": "refused"}},
    }


SHAPES = list(_bodies({"authorization": "Bearer x"}, 400))


class EchoKatana:
    """Passes requests to `sandbox`, except those of `method`, which get `status` with the
    headers echoed in `shape` (a 200 with a non-JSON echo when `status` is 200)."""

    def __init__(self, sandbox: Sandbox, method: str, shape: str, status: int) -> None:
        self.sandbox, self.method, self.shape, self.status = sandbox, method, shape, status
        self.echoed = 0

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != self.method:
            await self.sandbox(scope, receive, send)
            return
        while (await receive()).get("more_body"):
            pass
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        body = _bodies(headers, self.status)[self.shape]
        if self.status == 200 and not isinstance(body, bytes):
            body = json.dumps(body).encode()[:-1]  # a 2xx whose JSON is cut short
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        ctype = b"text/plain" if isinstance(body, bytes) else b"application/json"
        extra = [(b"retry-after", b"3600")] if self.status == 429 else []
        self.echoed += 1
        await send({"type": "http.response.start", "status": self.status,
                    "headers": [(b"content-type", ctype), *extra]})
        await send({"type": "http.response.body", "body": raw})

"""The petstore's HTTP side: Starlette routes for the Petstore 3 spec, its auth, the token
endpoint, and the recorder that logs every request and applies injected faults.

Status codes and bodies follow `examples/petstore/openapi.yaml`; where the spec is silent (a
missing pet on update, an unknown path) errors are JSON `ApiResponse` bodies like the others, so
clients always have something to parse.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._petstore_state import API_ROOT, Database, relative_path

__all__ = ["API_ROOT", "make_app"]

PET_STATUSES: Final = ("available", "pending", "sold")
ORDER_STATUSES: Final = ("placed", "approved", "delivered")
SCOPES: Final = ("read:pets", "write:pets")

Check = Callable[[Any], bool]


def make_app(
    db: Database, *, api_key: str, client_id: str, client_secret: str, token_ttl: float
) -> ASGIApp:
    """The ASGI app: the API under `/api/v3`, the token endpoint at `/oauth/token`, recorded."""
    store = _Petstore(db, api_key, client_id, client_secret, token_ttl)
    api = [
        Route("/pet", store.update_pet, methods=["PUT"]),
        Route("/pet", store.add_pet, methods=["POST"]),
        Route("/pet/findByStatus", store.find_pets_by_status, methods=["GET"]),
        Route("/pet/findByTags", store.find_pets_by_tags, methods=["GET"]),
        Route("/pet/{petId}", store.get_pet_by_id, methods=["GET"]),
        Route("/pet/{petId}", store.update_pet_with_form, methods=["POST"]),
        Route("/pet/{petId}", store.delete_pet, methods=["DELETE"]),
        Route("/pet/{petId}/uploadImage", store.upload_file, methods=["POST"]),
        Route("/store/inventory", store.get_inventory, methods=["GET"]),
        Route("/store/order", store.place_order, methods=["POST"]),
        Route("/store/order/{orderId}", store.get_order_by_id, methods=["GET"]),
        Route("/store/order/{orderId}", store.delete_order, methods=["DELETE"]),
        Route("/user", store.create_user, methods=["POST"]),
        Route("/user/createWithList", store.create_users_with_list, methods=["POST"]),
        Route("/user/login", store.login_user, methods=["GET"]),
        Route("/user/logout", store.logout_user, methods=["GET"]),
        Route("/user/{username}", store.get_user_by_name, methods=["GET"]),
        Route("/user/{username}", store.update_user, methods=["PUT"]),
        Route("/user/{username}", store.delete_user, methods=["DELETE"]),
    ]
    app = Starlette(
        routes=[Mount(API_ROOT, routes=api), Route("/oauth/token", store.token, methods=["POST"])],
        exception_handlers={HTTPException: _error_response},
    )
    return _Recorder(app, db)


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> HTTPException:
    return HTTPException(status, message, dict(headers) if headers else None)


async def _error_response(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return _api_response(exc.status_code, exc.detail, exc.headers)


def _api_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """An error in the spec's `ApiResponse` shape."""
    body = {"code": status, "type": "error", "message": message}
    return JSONResponse(body, status_code=status, headers=headers)


# --- validation -------------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_datetime(value: Any) -> bool:
    try:
        datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


def _list_of(check: Check) -> Check:
    return lambda value: isinstance(value, list) and all(check(item) for item in value)


def _object_of(**fields: Check) -> Check:
    def check(value: Any) -> bool:
        return isinstance(value, dict) and all(
            name not in value or value[name] is None or fields[name](value[name]) for name in fields
        )

    return check


def _one_of(*values: str) -> Check:
    return lambda value: value in values


_NAMED = _object_of(id=_is_int, name=_is_str)
# Field name -> (check, what was expected); the order is the order of the returned object.
_PET: Final[dict[str, tuple[Check, str]]] = {
    "id": (_is_int, "an integer"),
    "name": (lambda v: _is_str(v) and bool(v), "a non-empty string"),
    "category": (_NAMED, "a Category object"),
    "photoUrls": (_list_of(_is_str), "an array of strings"),
    "tags": (_list_of(_NAMED), "an array of Tag objects"),
    "status": (_one_of(*PET_STATUSES), "one of " + ", ".join(PET_STATUSES)),
}
_ORDER: Final[dict[str, tuple[Check, str]]] = {
    "id": (_is_int, "an integer"),
    "petId": (_is_int, "an integer"),
    "quantity": (lambda v: _is_int(v) and v > 0, "a positive integer"),
    "shipDate": (_is_datetime, "a date-time string"),
    "status": (_one_of(*ORDER_STATUSES), "one of " + ", ".join(ORDER_STATUSES)),
    "complete": (_is_bool, "a boolean"),
    "username": (_is_str, "a string"),  # whose order (the example's spec adds it)
}
_USER: Final[dict[str, tuple[Check, str]]] = {
    "id": (_is_int, "an integer"),
    "username": (lambda v: _is_str(v) and bool(v), "a non-empty string"),
    **{name: (_is_str, "a string") for name in ("firstName", "lastName", "email", "password")},
    "phone": (_is_str, "a string"),
    "userStatus": (_is_int, "an integer"),
}


def _validate(
    data: Any, fields: Mapping[str, tuple[Check, str]], required: tuple[str, ...], status: int
) -> dict[str, Any]:
    """The known fields of a JSON object, checked; the first problem becomes a `status` error
    naming the field by JSON pointer. Nulls count as absent, as most clients send them."""
    if not isinstance(data, dict):
        raise _error(400, "Invalid input: the body must be a JSON object")
    for name in required:
        if data.get(name) is None:
            raise _error(status, f"Validation exception: /{name} is required")
    result: dict[str, Any] = {}
    for name, (check, expected) in fields.items():
        value = data.get(name)
        if value is None:
            continue
        if not check(value):
            raise _error(status, f"Validation exception: /{name} must be {expected}")
        result[name] = value
    return result


async def _json_body(request: Request) -> Any:
    body = await request.body()
    if not body:
        raise _error(400, "Invalid input: a JSON body is required")
    if "json" not in request.headers.get("content-type", ""):
        raise _error(400, "Invalid input: the body must be application/json")
    try:
        return json.loads(body)
    except ValueError:
        raise _error(400, "Invalid input: the body is not valid JSON") from None


def _int_param(request: Request, name: str) -> int:
    raw = request.path_params[name]
    try:
        return int(raw)
    except ValueError:
        raise _error(400, "Invalid ID supplied") from None


def _multi(request: Request, name: str) -> list[str]:
    """An exploded array parameter (`tags=a&tags=b`), also accepting `tags=a,b`."""
    return [
        part.strip()
        for value in request.query_params.getlist(name)
        for part in value.split(",")
        if part.strip()
    ]


# --- the API ----------------------------------------------------------------------------------


class _Petstore:
    """The operations, one method each, named after their operationId."""

    def __init__(
        self, db: Database, api_key: str, client_id: str, client_secret: str, token_ttl: float
    ) -> None:
        self._db = db
        self._api_key = api_key
        self._client_id = client_id
        self._client_secret = client_secret
        self._token_ttl = token_ttl

    def __repr__(self) -> str:
        return f"_Petstore(client_id={self._client_id!r})"

    # auth

    def _authorize(self, request: Request, *, api_key: bool, oauth: bool) -> None:
        """Pass when one of the allowed schemes is satisfied, as the spec's `security` says."""
        given_key = request.headers.get("api_key")
        if api_key and given_key is not None:
            if hmac.compare_digest(given_key.encode(), self._api_key.encode()):
                return
            if not oauth:
                raise _error(401, "Invalid API key")
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if oauth and scheme.lower() == "bearer" and token:
            scopes = self._db.token_scopes(token.strip())
            if scopes is None:
                raise _error(
                    401,
                    "Invalid or expired access token",
                    {"WWW-Authenticate": 'Bearer error="invalid_token"'},
                )
            if not scopes.issuperset(SCOPES):
                raise _error(
                    403,
                    "The access token lacks the scopes " + " ".join(SCOPES),
                    {"WWW-Authenticate": 'Bearer error="insufficient_scope"'},
                )
            return
        wanted = " or ".join(
            name for name, ok in (("an api_key header", api_key), ("a bearer token", oauth)) if ok
        )
        headers = {"WWW-Authenticate": "Bearer"} if oauth else None
        raise _error(401, f"Authentication required: {wanted}", headers)

    async def token(self, request: Request) -> Response:
        """OAuth2 client credentials (RFC 6749 section 4.4), client secret in the form or in
        HTTP Basic."""
        if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
            return _oauth_error(400, "invalid_request")
        form = {
            key: values[0]
            for key, values in parse_qs((await request.body()).decode("utf-8", "replace")).items()
        }
        client_id, secret = form.get("client_id"), form.get("client_secret")
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return _oauth_error(401, "invalid_client")
        if not (
            hmac.compare_digest((client_id or "").encode(), self._client_id.encode())
            and hmac.compare_digest((secret or "").encode(), self._client_secret.encode())
        ):
            return _oauth_error(401, "invalid_client")
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type")
        scopes = tuple(sorted(set(form.get("scope", "").split()))) or SCOPES
        if not set(scopes).issubset(SCOPES):
            return _oauth_error(400, "invalid_scope")
        token = secrets.token_urlsafe(32)
        self._db.issue_token(token, scopes, self._token_ttl)
        body = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": int(self._token_ttl),
            "scope": " ".join(scopes),
        }
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    # pets

    def _pet(self, pet_id: int) -> dict[str, Any]:
        pet = self._db.get("pets", pet_id)
        if pet is None:
            raise _error(404, "Pet not found")
        return pet

    async def update_pet(self, request: Request) -> Response:
        self._authorize(request, api_key=False, oauth=True)
        pet = _validate(await _json_body(request), _PET, ("id", "name", "photoUrls"), 422)
        self._pet(pet["id"])
        self._db.put("pets", pet["id"], pet)
        return JSONResponse(pet)

    async def add_pet(self, request: Request) -> Response:
        self._authorize(request, api_key=False, oauth=True)
        pet = _validate(await _json_body(request), _PET, ("name", "photoUrls"), 422)
        pet = {"id": pet.get("id") or self._db.next_id("pets"), **pet}
        self._db.put("pets", pet["id"], pet)
        return JSONResponse(pet)

    async def find_pets_by_status(self, request: Request) -> Response:
        self._authorize(request, api_key=False, oauth=True)
        statuses = _multi(request, "status") or ["available"]
        if not set(statuses).issubset(PET_STATUSES):
            raise _error(400, "Invalid status value")
        return JSONResponse([p for p in self._db.all("pets") if p.get("status") in statuses])

    async def find_pets_by_tags(self, request: Request) -> Response:
        self._authorize(request, api_key=False, oauth=True)
        tags = set(_multi(request, "tags"))
        if not tags:
            raise _error(400, "Invalid tag value: no tags given")
        pets = self._db.all("pets")
        return JSONResponse([p for p in pets if tags & {t.get("name") for t in p.get("tags", [])}])

    async def get_pet_by_id(self, request: Request) -> Response:
        self._authorize(request, api_key=True, oauth=True)
        return JSONResponse(self._pet(_int_param(request, "petId")))

    async def update_pet_with_form(self, request: Request) -> Response:
        self._authorize(request, api_key=False, oauth=True)
        pet = self._pet(_int_param(request, "petId"))
        name, status = request.query_params.get("name"), request.query_params.get("status")
        if name is not None and not name:
            raise _error(400, "Invalid input: name must not be empty")
        if status is not None and status not in PET_STATUSES:
            raise _error(400, "Invalid input: status must be one of " + ", ".join(PET_STATUSES))
        pet.update({k: v for k, v in (("name", name), ("status", status)) if v is not None})
        self._db.put("pets", pet["id"], pet)
        return JSONResponse(pet)

    async def delete_pet(self, request: Request) -> Response:
        self._authorize(request, api_key=False, oauth=True)
        if not self._db.delete("pets", _int_param(request, "petId")):
            raise _error(404, "Pet not found")
        return Response(status_code=200)

    async def upload_file(self, request: Request) -> Response:
        self._authorize(request, api_key=False, oauth=True)
        pet = self._pet(_int_param(request, "petId"))
        data = await request.body()
        if not data:
            raise _error(400, "No file uploaded")
        url = f"/images/pet{pet['id']}-{len(pet['photoUrls']) + 1}"
        pet["photoUrls"] = [*pet["photoUrls"], url]
        self._db.put("pets", pet["id"], pet)
        meta = request.query_params.get("additionalMetadata", "")
        message = f"additionalMetadata: {meta}\nFile uploaded to {url}, {len(data)} bytes"
        return JSONResponse({"code": 200, "type": "unknown", "message": message})

    # store

    async def get_inventory(self, request: Request) -> Response:
        self._authorize(request, api_key=True, oauth=False)
        counts = dict.fromkeys(PET_STATUSES, 0)
        for pet in self._db.all("pets"):
            if pet.get("status") in counts:
                counts[pet["status"]] += 1
        return JSONResponse(counts)

    async def place_order(self, request: Request) -> Response:
        fields = _validate(await _json_body(request), _ORDER, (), 422)
        if "petId" in fields and self._db.get("pets", fields["petId"]) is None:
            raise _error(400, f"Invalid input: there is no pet {fields['petId']}")
        order = {
            "id": fields.get("id") or self._db.next_id("orders"),
            "quantity": 1,
            "status": "placed",
            "complete": False,
            **fields,
        }
        self._db.put("orders", order["id"], order)
        return JSONResponse(order)

    async def get_order_by_id(self, request: Request) -> Response:
        order = self._db.get("orders", _int_param(request, "orderId"))
        if order is None:
            raise _error(404, "Order not found")
        return JSONResponse(order)

    async def delete_order(self, request: Request) -> Response:
        if not self._db.delete("orders", _int_param(request, "orderId")):
            raise _error(404, "Order not found")
        return Response(status_code=200)

    # users

    def _new_user(self, data: Any) -> dict[str, Any]:
        user = _validate(data, _USER, ("username",), 400)
        if self._db.get("users", user["username"]) is not None:
            raise _error(400, f"Invalid input: user {user['username']} already exists")
        user = {"id": user.get("id") or self._db.next_id("users"), **user}
        self._db.put("users", user["username"], user)
        return user

    async def create_user(self, request: Request) -> Response:
        return JSONResponse(self._new_user(await _json_body(request)))

    async def create_users_with_list(self, request: Request) -> Response:
        data = await _json_body(request)
        if not isinstance(data, list) or not data:
            raise _error(400, "Invalid input: the body must be a non-empty JSON array of users")
        users = [self._new_user(item) for item in data]
        return JSONResponse(users[-1])

    def _user(self, request: Request) -> dict[str, Any]:
        user = self._db.get("users", request.path_params["username"])
        if user is None:
            raise _error(404, "User not found")
        return user

    async def get_user_by_name(self, request: Request) -> Response:
        return JSONResponse(self._user(request))

    async def update_user(self, request: Request) -> Response:
        old = self._user(request)
        new = _validate(await _json_body(request), _USER, (), 400)
        user = {**old, **new}
        if user["username"] != old["username"]:
            if self._db.get("users", user["username"]) is not None:
                raise _error(400, f"Invalid input: user {user['username']} already exists")
            self._db.delete("users", old["username"])
        self._db.put("users", user["username"], user)
        return Response(status_code=200)

    async def delete_user(self, request: Request) -> Response:
        if not self._db.delete("users", self._user(request)["username"]):
            raise _error(404, "User not found")
        return Response(status_code=200)

    async def login_user(self, request: Request) -> Response:
        username = request.query_params.get("username", "")
        password = request.query_params.get("password", "")
        user = self._db.get("users", username) if username else None
        expected = str(user.get("password", "")) if user else ""
        if not (user and password and hmac.compare_digest(password.encode(), expected.encode())):
            raise _error(400, "Invalid username/password supplied")
        expires = datetime.now(UTC) + timedelta(hours=1)
        headers = {"X-Rate-Limit": "5000", "X-Expires-After": expires.isoformat()}
        return JSONResponse(f"logged in user session:{secrets.token_hex(8)}", headers=headers)

    async def logout_user(self, request: Request) -> Response:
        return Response(status_code=200)


def _oauth_error(status: int, error: str) -> Response:
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="petstore"'
    return JSONResponse({"error": error}, status_code=status, headers=headers)


# --- recording and faults ---------------------------------------------------------------------


class _Recorder:
    """Logs every request with the status it got, and answers with injected faults first.

    The log row is written before the response starts, so a test that has its response also
    finds the request in `requests()`.
    """

    def __init__(self, app: ASGIApp, db: Database) -> None:
        self._app = app
        self._db = db

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:  # the client left before sending its body
            return
        method, path = scope["method"], relative_path(scope["path"])
        headers = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]]

        def record(status: int) -> None:
            query = scope["query_string"].decode("latin-1")
            self._db.record(method, path, query, headers, _json_or_none(headers, body), status)

        fault = self._db.take_fault(method, path)
        if fault is not None and fault.delay > 0 and await _left_within(receive, fault.delay):
            record(499)  # nginx's "client closed request": the client gave up waiting
            return
        if fault is not None and fault.status is not None:
            record(fault.status)
            extra = {"Retry-After": fault.retry_after} if fault.retry_after else None
            await _api_response(fault.status, "Injected fault", extra)(scope, receive, send)
            return

        body_sent = False

        async def replay() -> Message:
            nonlocal body_sent
            if body_sent:
                return await receive()
            body_sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send_recorded(message: Message) -> None:
            if message["type"] == "http.response.start":
                record(message["status"])
            await send(message)

        await self._app(scope, replay, send_recorded)


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _left_within(receive: Receive, seconds: float) -> bool:
    """Wait `seconds`; True when the client disconnected meanwhile (so the server does not
    hold a dead request, and shuts down promptly)."""
    try:
        message = await asyncio.wait_for(receive(), seconds)
    except TimeoutError:
        return False
    return bool(message["type"] == "http.disconnect")


def _json_or_none(headers: list[tuple[str, str]], body: bytes) -> Any:
    content_type = next((v for k, v in headers if k == "content-type"), "")
    if not body or "json" not in content_type:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None

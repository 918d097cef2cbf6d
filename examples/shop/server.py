"""The reference Shop Support API: what examples/shop/openapi.yaml describes, on this machine.

    with ShopServer() as server:
        server.base_url             # http://127.0.0.1:<free port>/v1
        server.credentials          # what a client authenticates with
        server.requests()           # every request it received, for tests and the demo

Starlette on uvicorn in a background thread, stdlib sqlite3 in memory, seeded with the same
customers and orders every time, so tests and the demo can name them. It checks the OAuth2
client-credentials token on every call and honours `Idempotency-Key` on cancel and refund: a
repeated key answers the first result and changes nothing, which is what lets the agent retry
an interrupted action safely.
"""

from __future__ import annotations

import base64
import json
import secrets
import socket
import sqlite3
import threading
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import unquote_plus

import uvicorn
from specagent_runtime import ClientCredentials
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

CLIENT_ID = "support-desk"
CLIENT_SECRET = "shop-demo-secret"
_STARTUP_TIMEOUT = 10.0
_DEMO_SLOTS = ("2026-12-01 10:00 UTC", "2026-12-01 15:00 UTC", "2026-12-02 10:00 UTC")

_SCHEMA = """
create table customers (id integer primary key, email text unique, name text, plan text,
    subscription_status text, renews_on text, payment_token text);
create table orders (id integer primary key, customer_id integer, status text, total real,
    currency text, placed_at text, zip text, city text, refunded integer default 0);
create table items (order_id integer, sku text, name text, quantity integer);
create table refunds (id integer primary key, order_id integer, amount real, reason text);
create table bookings (id integer primary key, name text, company text, email text,
    starts_at text);
create table invites (id integer primary key, booking_id integer, sent_to text, starts_at text);
create table idempotency (key text primary key, status integer, body text);
"""
_CUSTOMERS = (
    (1, "ada@example.com", "Ada Lovelace", "plus", "active", "2027-01-15", "tok_ada_4242"),
    (2, "grace@example.com", "Grace Hopper", "business", "past_due", "2026-12-03", "tok_gr_1"),
)
# id, customer, status, total, placed_at, zip, city, items
_ORDERS = (
    (1001, 1, "delivered", 249.0, "2026-11-02", "10115", "Berlin", (("LMP-1", "Desk lamp", 1),)),
    (1002, 1, "placed", 38.5, "2026-11-20", "10115", "Berlin", (("MUG-2", "Coffee mug", 2),)),
    (1003, 1, "shipped", 89.0, "2026-11-18", "10115", "Berlin", (("KBD-3", "Keyboard", 1),)),
    (1004, 1, "delivered", 24.0, "2026-10-11", "10115", "Berlin", (("CBL-4", "USB cable", 3),)),
    (2001, 2, "packed", 120.0, "2026-11-21", "02139", "Cambridge", (("CHR-5", "Chair mat", 1),)),
)


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the server saw it (the token is never kept)."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    idempotency_key: str | None
    status: int


class _Shop:
    def __init__(self) -> None:
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.lock = threading.Lock()
        self.log: list[LoggedRequest] = []
        self.tokens: set[str] = set()
        self.db.executescript(_SCHEMA)
        self.db.executemany("insert into customers values (?,?,?,?,?,?,?)", _CUSTOMERS)
        for order_id, customer, status, total, placed, zip_code, city, items in _ORDERS:
            self.db.execute(
                "insert into orders values (?,?,?,?,?,?,?,?,0)",
                (order_id, customer, status, total, "EUR", placed, zip_code, city),
            )
            self.db.executemany(
                "insert into items values (?,?,?,?)", [(order_id, *item) for item in items]
            )

    # --- helpers ---------------------------------------------------------------------------

    def _order(self, order_id: int) -> dict[str, Any] | None:
        row = self.db.execute("select * from orders where id = ?", (order_id,)).fetchone()
        if row is None:
            return None
        items = self.db.execute(
            "select sku, name, quantity from items where order_id = ? order by sku", (order_id,)
        ).fetchall()
        return {
            "id": row["id"],
            "status": row["status"],
            "total": row["total"],
            "currency": row["currency"],
            "placed_at": row["placed_at"],
            "items": [dict(item) for item in items],
            "shipping_city": row["city"],
            "refunded": bool(row["refunded"]),
        }

    def _owned_order(self, order_id: int, email: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(
            "select orders.* from orders join customers on customers.id = orders.customer_id"
            " where orders.id = ? and customers.email = ?",
            (order_id, email),
        ).fetchone()
        return row

    # --- endpoints --------------------------------------------------------------------------

    def token(self, form: dict[str, str]) -> tuple[int, Any]:
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return 401, {"error": "invalid_client"}
        token = secrets.token_urlsafe(16)
        self.tokens.add(token)
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600}

    def customer(self, query: dict[str, str]) -> tuple[int, Any]:
        row = self.db.execute(
            "select * from customers where email = ?", (query.get("email", ""),)
        ).fetchone()
        if row is None:
            return _error(404, "customer_not_found", "No customer has this email address.")
        orders = self.db.execute(
            "select id from orders where customer_id = ? order by placed_at desc limit 5",
            (row["id"],),
        ).fetchall()
        recent = []
        for order in orders:
            full = self._order(order["id"]) or {}
            summary = ", ".join(f"{i['quantity']} x {i['name']}" for i in full["items"])
            recent.append({key: full[key] for key in ("id", "status", "total", "placed_at")})
            recent[-1]["summary"] = summary
        return 200, {
            "id": row["id"],
            "email": row["email"],
            "name": row["name"],
            "plan": row["plan"],
            "subscription": {"status": row["subscription_status"], "renews_on": row["renews_on"]},
            "recent_orders": recent,
            "payment_token": row["payment_token"],
        }

    def customer_order(self, order_id: int, query: dict[str, str]) -> tuple[int, Any]:
        if self._owned_order(order_id, query.get("email", "")) is None:
            return _error(404, "order_not_found", "This customer has no order with this number.")
        return 200, self._order(order_id)

    def order(self, order_id: int, query: dict[str, str]) -> tuple[int, Any]:
        row = self.db.execute("select zip from orders where id = ?", (order_id,)).fetchone()
        if row is None or row["zip"] != query.get("zip"):
            return _error(404, "order_not_found", "No order with this number ships to that zip.")
        return 200, self._order(order_id)

    def cancel(self, order_id: int, body: Any) -> tuple[int, Any]:
        row = self._owned_order(order_id, _field(body, "email"))
        if row is None:
            return _error(404, "order_not_found", "This customer has no order with this number.")
        if row["status"] in ("shipped", "delivered"):
            return _error(409, "order_shipped", f"Order {order_id} has shipped already.")
        self.db.execute("update orders set status = 'cancelled' where id = ?", (order_id,))
        return 200, self._order(order_id)

    def refund(self, order_id: int, body: Any) -> tuple[int, Any]:
        row = self._owned_order(order_id, _field(body, "email"))
        if row is None:
            return _error(404, "order_not_found", "This customer has no order with this number.")
        if row["refunded"] or row["status"] != "delivered":
            return _error(409, "not_refundable", f"Order {order_id} cannot be refunded.")
        reason = _field(body, "reason")
        self.db.execute("update orders set refunded = 1 where id = ?", (order_id,))
        cursor = self.db.execute(
            "insert into refunds (order_id, amount, reason) values (?,?,?)",
            (order_id, row["total"], reason),
        )
        refund = {"order_id": order_id, "amount": row["total"], "reason": reason}
        return 201, {"id": cursor.lastrowid, **refund, "status": "pending"}

    def booking(self, body: Any) -> tuple[int, Any]:
        values = {key: _field(body, key) for key in ("name", "company", "email")}
        if not all(values.values()) or "@" not in values["email"]:
            return _error(422, "invalid_booking", "Name, company and a valid email are needed.")
        count = self.db.execute("select count(*) from bookings").fetchone()[0]
        starts_at = _DEMO_SLOTS[count % len(_DEMO_SLOTS)]
        cursor = self.db.execute(
            "insert into bookings (name, company, email, starts_at) values (?,?,?,?)",
            (values["name"], values["company"], values["email"], starts_at),
        )
        return 201, {"id": cursor.lastrowid, **values, "starts_at": starts_at}

    def invite(self, body: Any) -> tuple[int, Any]:
        booking_id = body.get("booking_id") if isinstance(body, dict) else None
        row = self.db.execute("select * from bookings where id = ?", (booking_id,)).fetchone()
        if row is None:
            return _error(404, "booking_not_found", "There is no such demo booking.")
        cursor = self.db.execute(
            "insert into invites (booking_id, sent_to, starts_at) values (?,?,?)",
            (booking_id, row["email"], row["starts_at"]),
        )
        invite = {"booking_id": booking_id, "sent_to": row["email"]}
        return 201, {"id": cursor.lastrowid, **invite, "starts_at": row["starts_at"]}


def _field(body: Any, name: str) -> str:
    value = body.get(name) if isinstance(body, dict) else None
    return value if isinstance(value, str) else ""


def _error(status: int, code: str, message: str) -> tuple[int, Any]:
    return status, {"code": code, "message": message}


class ShopServer:
    """The reference server on 127.0.0.1 and a free port, in a background thread."""

    def __init__(self) -> None:
        self._shop = _Shop()
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    def __repr__(self) -> str:
        return f"ShopServer(port={self.port})"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def credentials(self) -> dict[str, ClientCredentials]:
        """What a client of this server authenticates with (`specagent test` reads it)."""
        return {"supportOAuth": ClientCredentials(CLIENT_ID, CLIENT_SECRET)}

    def requests(self) -> list[LoggedRequest]:
        """Every request received so far, oldest first (token requests included)."""
        with self._shop.lock:
            return list(self._shop.log)

    def calls(self, method: str, path_start: str) -> list[LoggedRequest]:
        """The logged requests of one kind that reached the API, e.g. ("POST", "/orders/")."""
        return [r for r in self.requests() if r.method == method and r.path.startswith(path_start)]

    def order_status(self, order_id: int) -> str:
        with self._shop.lock:
            row = self._shop.db.execute("select status from orders where id = ?", (order_id,))
            return str(row.fetchone()[0])

    def count(self, table: str) -> int:
        """Rows in one of the server's tables (refunds, bookings, invites)."""
        if table not in ("refunds", "bookings", "invites"):
            raise ValueError(f"no table {table!r}")
        with self._shop.lock:
            return int(self._shop.db.execute(f"select count(*) from {table}").fetchone()[0])

    # --- serving ---------------------------------------------------------------------------

    async def _token(self, request: Request) -> Response:
        form = {key: str(value) for key, value in (await request.form()).items()}
        basic = request.headers.get("authorization", "")
        if basic.startswith("Basic "):
            # RFC 6749 2.3.1: clients may authenticate with HTTP Basic instead of the form.
            user, _, password = base64.b64decode(basic[6:]).decode().partition(":")
            form.setdefault("client_id", unquote_plus(user))
            form.setdefault("client_secret", unquote_plus(password))
        with self._shop.lock:
            status, body = self._shop.token(form)
            self._shop.log.append(LoggedRequest("POST", "/oauth/token", {}, None, None, status))
        return JSONResponse(body, status_code=status)

    async def _api(self, request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        query = dict(request.query_params)
        path = request.url.path.removeprefix("/v1")
        key = request.headers.get("idempotency-key")
        with self._shop.lock:
            status, payload = self._route(request, path, query, body, key)
            self._shop.log.append(LoggedRequest(request.method, path, query, body, key, status))
        return JSONResponse(payload, status_code=status)

    def _route(
        self, request: Request, path: str, query: dict[str, str], body: Any, key: str | None
    ) -> tuple[int, Any]:
        shop = self._shop
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer ") or header.removeprefix("Bearer ") not in shop.tokens:
            return _error(401, "unauthorized", "A valid access token is needed.")
        parts = path.strip("/").split("/")
        method = request.method
        if method == "GET" and parts == ["customers", "by-email"]:
            return shop.customer(query)
        if method == "GET" and parts[:3] == ["customers", "by-email", "orders"]:
            if len(parts) == 4 and parts[3].isdigit():
                return shop.customer_order(int(parts[3]), query)
        if len(parts) >= 2 and parts[0] == "orders" and parts[1].isdigit():
            order_id = int(parts[1])
            if method == "GET" and len(parts) == 2:
                return shop.order(order_id, query)
            if method == "POST" and len(parts) == 3 and parts[2] in ("cancel", "refund"):
                return self._once(key, lambda: getattr(shop, parts[2])(order_id, body))
        if method == "POST" and parts == ["demo-bookings"]:
            return shop.booking(body)
        if method == "POST" and parts == ["calendar-invites"]:
            return shop.invite(body)
        return _error(404, "not_found", f"No route {method} {path}.")

    def _once(self, key: str | None, action: Any) -> tuple[int, Any]:
        """Run an action once per Idempotency-Key; a repeat answers the stored result."""
        if key:
            row = self._shop.db.execute(
                "select status, body from idempotency where key = ?", (key,)
            ).fetchone()
            if row is not None:
                return int(row["status"]), json.loads(row["body"])
        status, payload = action()
        if key and status < 500:
            self._shop.db.execute(
                "insert into idempotency values (?,?,?)", (key, status, json.dumps(payload))
            )
        return int(status), payload

    def start(self) -> ShopServer:
        if self._thread is not None:
            raise RuntimeError("the shop server is already running")
        app = Starlette(
            routes=[
                Route("/oauth/token", self._token, methods=["POST"]),
                Route("/v1/{rest:path}", self._api, methods=["GET", "POST"]),
            ]
        )
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Without it each JSON response waits ~40 ms on Nagle's algorithm and delayed ACKs.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            http="h11",
            ws="none",
            loop="asyncio",
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="shop-server", daemon=True
        )
        self._server, self._thread, self._socket = server, thread, sock
        thread.start()
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the shop server did not start on port {self.port}")
            time.sleep(0.002)
        return self

    def stop(self) -> None:
        server, thread, sock = self._server, self._thread, self._socket
        self._server = self._thread = self._socket = None
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout=_STARTUP_TIMEOUT)
        if sock is not None:
            sock.close()
        self._shop.db.close()

    def __enter__(self) -> ShopServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

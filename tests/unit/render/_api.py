"""A hand-built, Petstore-like `ir.Api` covering the shapes the renderer must handle."""

from __future__ import annotations

from typing import Any

from specagent import ir

PET: dict[str, Any] = {
    "type": "object",
    "required": ["name", "photoUrls"],
    "properties": {
        "id": {"type": "integer", "format": "int64", "readOnly": True},
        "name": {"type": "string", "description": "The pet's name."},
        "category": {"$ref": "#/components/schemas/Category"},
        "photoUrls": {"type": "array", "items": {"type": "string"}},
        "tags": {"type": "array", "items": {"$ref": "#/components/schemas/Tag"}},
        "status": {"type": "string", "enum": ["available", "pending", "sold"]},
    },
}
SCHEMAS: dict[str, Any] = {
    "Pet": PET,
    "Category": {
        "type": "object",
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
    },
    "Tag": {
        "type": "object",
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
    },
    "Order": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "petId": {"type": "integer"},
            "quantity": {"type": "integer", "default": 1},
            "shipDate": {"type": "string", "format": "date-time"},
            "complete": {"type": "boolean"},
        },
    },
    "Pets": {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}},
}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def param(
    name: str,
    location: str,
    schema: dict[str, Any],
    *,
    required: bool = False,
    description: str = "",
) -> ir.Parameter:
    return ir.Parameter(
        name=name,
        location=ir.ParamLocation(location),
        required=required or location == "path",
        schema=schema,
        description=description,
        style="form" if location in {"query", "cookie"} else "simple",
        explode=location in {"query", "cookie"},
    )


def json_body(schema: dict[str, Any], *, required: bool = True) -> ir.RequestBody:
    return ir.RequestBody(
        required=required,
        description="",
        content=(
            ir.MediaType("application/x-www-form-urlencoded", schema),
            ir.MediaType("application/json", schema),
        ),
    )


def ok(schema: dict[str, Any] | None, status: str = "200") -> ir.Response:
    content = (ir.MediaType("application/json", schema),) if schema is not None else ()
    return ir.Response(status=status, description="successful operation", content=content)


def operation(
    op_id: str,
    method: str,
    path: str,
    *,
    summary: str = "",
    description: str = "",
    tags: tuple[str, ...] = ("pet",),
    parameters: tuple[ir.Parameter, ...] = (),
    body: ir.RequestBody | None = None,
    responses: tuple[ir.Response, ...] = (),
    security: tuple[ir.SecurityRequirement, ...] = (),
) -> ir.Operation:
    return ir.Operation(
        id=op_id,
        method=method,
        path=path,
        summary=summary,
        description=description,
        tags=tags,
        deprecated=False,
        parameters=parameters,
        request_body=body,
        responses=responses,
        security=security,
        original_id=op_id,
        where=ir.Location.in_spec("", ("paths", path, method)),
    )


API_KEY = ir.SecurityRequirement(schemes=(("api_key", ()),))
OAUTH = ir.SecurityRequirement(schemes=(("petstore_auth", ("write:pets", "read:pets")),))

OPERATIONS = (
    operation(
        "addPet",
        "post",
        "/pet",
        summary="Add a new pet to the store.",
        description="Add a new pet to the store.",
        body=json_body(ref("Pet")),
        responses=(ok(ref("Pet")), ir.Response("400", "Invalid input", ())),
        security=(OAUTH,),
    ),
    operation(
        "findPetsByStatus",
        "get",
        "/pet/findByStatus",
        summary="Finds Pets by status.",
        description="Multiple status values can be provided with comma separated strings.",
        parameters=(
            param("status", "query", {"type": "string", "enum": ["available", "pending", "sold"]}),
        ),
        responses=(ok({"type": "array", "items": ref("Pet")}),),
        security=(OAUTH,),
    ),
    operation(
        "getPetById",
        "get",
        "/pet/{petId}",
        summary="Find pet by ID.",
        parameters=(
            param("petId", "path", {"type": "integer", "format": "int64"}, description="ID of pet"),
        ),
        responses=(ok(ref("Pet")), ir.Response("404", "Pet not found", ())),
        security=(API_KEY, OAUTH),
    ),
    operation(
        "deletePet",
        "delete",
        "/pet/{petId}",
        summary="Deletes a pet.",
        parameters=(
            param("api_key", "header", {"type": "string"}),
            param("petId", "path", {"type": "integer"}),
        ),
        responses=(ir.Response("200", "Pet deleted", ()),),
        security=(OAUTH,),
    ),
    operation(
        "placeOrder",
        "post",
        "/store/order",
        tags=("store",),
        summary="Place an order for a pet.",
        parameters=(param("Idempotency-Key", "header", {"type": "string"}),),
        body=json_body(ref("Order"), required=False),
        responses=(ok(ref("Order")),),
    ),
    operation(
        "getInventory",
        "get",
        "/store/inventory",
        tags=("store",),
        summary="Returns pet inventories by status.",
        responses=(ok({"type": "object", "additionalProperties": {"type": "integer"}}),),
        security=(API_KEY,),
    ),
    operation(
        "uploadFile",
        "post",
        "/pet/{petId}/uploadImage",
        summary="Uploads an image.",
        parameters=(
            param("petId", "path", {"type": "integer"}),
            param("additionalMetadata", "query", {"type": "string"}),
        ),
        body=ir.RequestBody(
            required=False,
            description="",
            content=(
                ir.MediaType("application/octet-stream", {"type": "string", "format": "binary"}),
            ),
        ),
        responses=(ok({"type": "object", "properties": {"code": {"type": "integer"}}}),),
    ),
    operation(
        "logoutUser",
        "get",
        "/user/logout",
        tags=("user",),
        summary="Logs out current logged in user session.",
        responses=(ir.Response("default", "successful operation", ()),),
    ),
    operation(
        "updatePetWithForm",
        "post",
        "/pet/{petId}",
        summary="Updates a pet in the store with form data.",
        parameters=(
            param("petId", "path", {"type": "integer"}),
            param("name", "query", {"type": "string"}),
        ),
        body=ir.RequestBody(
            required=True,
            description="",
            content=(
                ir.MediaType(
                    "application/x-www-form-urlencoded",
                    {
                        "type": "object",
                        "properties": {"name": {"type": "string"}, "status": {"type": "string"}},
                    },
                ),
            ),
        ),
        responses=(ir.Response("200", "ok", (ir.MediaType("text/plain", {"type": "string"}),)),),
    ),
)

SECURITY_SCHEMES = (
    ir.SecurityScheme(name="api_key", type="apiKey", param_name="api_key", location="header"),
    ir.SecurityScheme(
        name="petstore_auth",
        type="oauth2",
        flows=(
            ir.OAuthFlow(
                kind="implicit", authorization_url="https://petstore3.swagger.io/oauth/authorize"
            ),
            ir.OAuthFlow(kind="clientCredentials", token_url="/oauth/token"),
        ),
    ),
    ir.SecurityScheme(name="basic", type="http", scheme="basic"),
    ir.SecurityScheme(name="jwt", type="http", scheme="bearer", bearer_format="JWT"),
    ir.SecurityScheme(name="mtls", type="mutualTLS"),
)


def petstore_api(**changes: Any) -> ir.Api:
    values: dict[str, Any] = {
        "title": "Swagger Petstore - OpenAPI 3.0",
        "version": "1.0.27",
        "description": "A sample Pet Store Server based on the OpenAPI 3.0 specification.",
        "source_version": "3.0.4",
        "servers": (ir.Server(url="/api/v3", resolved_url="/api/v3"),),
        "operations": OPERATIONS,
        "schemas": SCHEMAS,
        "security_schemes": SECURITY_SCHEMES,
    }
    values.update(changes)
    return ir.Api(**values)

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, RootModel, SecretStr


class Address(BaseModel):
    """
    OIDC Address structure
    """

    model_config = ConfigDict(
        populate_by_name=True,
    )
    country: str | None = None
    locality: str | None = None
    postal_code: str | None = None
    region: str | None = None
    street_address: str | None = None


class AuthorizeArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    client_id: str
    """
    A client ID obtained from the [Dashboard](https://dashboard.authentiq.com/).

    """
    response_type: str
    """
    The OIDC response type to use for this authentication flow. Valid choices are `code`, `id_token`, `token`, `token id_token`, `code id_token` `code token` and `code token id_token`, but a client can be configured with a more restricted set.

    """
    scope: str
    """
    The space-separated identity claims to request from the end-user. Always include `openid` as a scope for compatibility with OIDC.

    """
    redirect_uri: str
    """
    The location to redirect to after (un)successful authentication. See OIDC for the parameters passed in the query string (`response_mode=query`) or as fragments (`response_mode=fragment`). Unless the client is in test-mode this must be one of the registered redirect URLs.

    """
    state: str
    """
    An opaque string that will be passed back to the redirect URL and therefore can be used to communicate client side state and prevent CSRF attacks.

    """
    response_mode: str | None = None
    """
    Whether to append parameters to the redirect URL in the query string (`query`) or as fragments (`fragment`). This option usually has a sensible default for each of the response types.

    """
    nonce: str | None = None
    """
    An nonce provided by the client (and opaque to Authentiq Connect) that will be included in any ID Token generated for this session. Clients should use the nonce to mitigate replay attacks.

    """
    display: str | None = "page"
    """
    The authentication display mode, which can be one of `page`, `popup` or `modal`. Defaults to `page`.

    """
    prompt: str | None = "login"
    """
    Space-delimited, case sensitive list of ASCII string values that specifies whether the Authorization Server prompts the End-User for reauthentication and consent. The supported values are: `none`, `login`, `consent`. If `consent` the end-user is asked to (re)confirm what claims they share. Use `none` to check for an active session.

    """
    max_age: int | None = 0
    """
    Specifies the allowable elapsed time in seconds since the last time the end-user was actively authenticated.

    """
    ui_locales: str | None = None
    """
    Specifies the preferred language to use on the authorization page, as a space-separated list of BCP47 language tags. Ignored at the moment.

    """


class AuthorizeIframeArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    client_id: str
    """
    Client identifier
    """


class ClientArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )


class ClientClientIdArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    client_id: str
    """
    Client identifier
    """


class ClientModel(BaseModel):
    """
    Client object
    """

    model_config = ConfigDict(
        populate_by_name=True,
    )
    application_type: str | None = None
    client_id: str | None = None
    client_name: str
    client_uri: str
    contacts: list[str] | None = None
    default_max_age: int | None = None
    default_scopes: list[str] | None = None
    grant_types: list[str] | None = None
    logo_uri: str | None = None
    policy_uri: str | None = None
    redirect_uris: list[str] | None = None
    response_types: list[str] | None = None
    tos_uri: str | None = None


class ClientResponse(RootModel[list[ClientModel]]):
    root: list[ClientModel]


class CreateClientArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    application_type: str | None = None
    client_id: str | None = None
    client_name: str
    client_uri: str
    contacts: list[str] | None = None
    default_max_age: int | None = None
    default_scopes: list[str] | None = None
    grant_types: list[str] | None = None
    logo_uri: str | None = None
    policy_uri: str | None = None
    redirect_uris: list[str] | None = None
    response_types: list[str] | None = None
    tos_uri: str | None = None


class GetClientArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    client_id: str
    """
    Client identifier
    """


class OAuth2Error(BaseModel):
    """
    Error Response defined as in Section 5.2 of OAuth 2.0 [RFC6749].

    """

    model_config = ConfigDict(
        populate_by_name=True,
    )
    error: str
    error_description: str | None = None


class ProblemDetail(BaseModel):
    """
    HTTP Problem Detail

    """

    model_config = ConfigDict(
        populate_by_name=True,
    )
    detail: str | None = None
    """
    Human-readable explanation specific to this occurrence of the problem.

    """
    status: int
    """
    The HTTP status code for this occurrence of the problem.

    """
    title: str | None = None
    """
    Human-readable summary of the problem type.

    """
    type: str


class Session(BaseModel):
    """
    Session object
    """

    model_config = ConfigDict(
        populate_by_name=True,
    )
    authenticated_at: AwareDatetime | None = None
    client_id: str | None = None
    client_name: str | None = None
    client_uri: str | None = None
    concluded_at: AwareDatetime | None = None
    connected_at: AwareDatetime | None = None
    contacts: list[str] | None = None
    created_at: str | None = None
    deleted_at: AwareDatetime | None = None
    logo_uri: str | None = None
    nonce: str | None = None
    policy_uri: str | None = None
    redirect_uri: str | None = None
    response_mode: str | None = None
    response_type: str | None = None
    scopes: list[str] | None = None
    scopes_optional: list[str] | None = None
    scopes_required: list[str] | None = None
    scopes_seen: list[str] | None = None
    scopes_signed: list[str] | None = None
    session_id: str | None = None
    session_state: str | None = None
    session_uri: str | None = None
    sub: str | None = None
    tokens_seen: list[str] | None = None
    tos_uri: str | None = None
    version: int | None = None


class Token(BaseModel):
    """
    Successful token response

    """

    model_config = ConfigDict(
        populate_by_name=True,
    )
    access_token: str | None = None
    """
    The access token issued by the authorization server.
    """
    expires_at: int | None = None
    """
    The time the access token will expire in seconds since epoch.
    """
    expires_in: int | None = None
    """
    The lifetime in seconds of the access token.
    """
    id_token: str | None = None
    """
    ID Token value associated with the authenticated session.
    """
    refresh_token: str | None = None
    """
    The refresh token issued to the client, if any.
    """
    scope: str | None = None
    """
    The scope of the granted tokens.
    """
    token_type: str


class TokenArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    client_id: str
    """
    The registered client ID.

    """
    client_secret: SecretStr
    """
    The registered client ID secret.

    """
    grant_type: str
    """
    The authorization grant type, must be `authorization_code`.

    """
    code: str
    """
    The authorization code previously obtained from the Authentication endpoint.

    """
    redirect_uri: str
    """
    The redirect URL that was used previously with the Authentication endpoint.

    """


class UpdateClientArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    client_id__path: str
    """
    Client identifier
    """
    application_type: str | None = None
    client_id__body: str | None = None
    client_name: str
    client_uri: str
    contacts: list[str] | None = None
    default_max_age: int | None = None
    default_scopes: list[str] | None = None
    grant_types: list[str] | None = None
    logo_uri: str | None = None
    policy_uri: str | None = None
    redirect_uris: list[str] | None = None
    response_types: list[str] | None = None
    tos_uri: str | None = None


class AqLocation(BaseModel):
    """
    Geolocation structure
    """

    model_config = ConfigDict(
        populate_by_name=True,
    )
    address: Address | None = None
    latitude: float | None = None
    longitude: float | None = None


class UserInfo(BaseModel):
    """
    OIDC UserInfo structure
    """

    model_config = ConfigDict(
        populate_by_name=True,
    )
    address: Address | None = None
    aq_location: AqLocation | None = Field(default=None, alias="aq:location")
    """
    Geolocation structure
    """
    email: str | None = None
    email_verified: bool | None = None
    family_name: str | None = None
    given_name: str | None = None
    name: str | None = None
    phone_number: str | None = None
    phone_number_verified: bool | None = None
    sub: str


class UserInfoArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, RootModel


class Status(StrEnum):
    """
    pet status in the store
    """

    AVAILABLE = "available"
    PENDING = "pending"
    SOLD = "sold"


class ApiResponse(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
        json_schema_extra={"xml": {"name": "##default"}},
    )
    code: int | None = None
    type: str | None = None
    message: str | None = None


class Category(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
        json_schema_extra={"xml": {"name": "category"}},
    )
    id: int | None = None
    name: str | None = None


class CreateUserArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    id: int | None = None
    username: str | None = None
    first_name: str | None = Field(default=None, alias="firstName")
    last_name: str | None = Field(default=None, alias="lastName")
    email: str | None = None
    password: str | None = None
    phone: str | None = None
    user_status: int | None = Field(default=None, alias="userStatus")
    """
    User Status
    """


class DeleteOrderArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    order_id: int = Field(..., alias="orderId")
    """
    ID of the order that needs to be deleted
    """


class DeletePetArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    api_key: str | None = None
    pet_id: int = Field(..., alias="petId")
    """
    Pet id to delete
    """


class DeleteUserArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    username: str
    """
    The name that needs to be deleted
    """


class Status1(StrEnum):
    """
    Status values that need to be considered for filter
    """

    AVAILABLE = "available"
    PENDING = "pending"
    SOLD = "sold"


class FindPetsByStatusArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    status: Status1 | None = Status1.AVAILABLE
    """
    Status values that need to be considered for filter
    """


class FindPetsByTagsArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    tags: list[str] | None = None
    """
    Tags to filter by
    """


class GetInventoryArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )


class GetInventoryResponse(RootModel[dict[str, int]]):
    root: dict[str, int]


class GetOrderByIdArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    order_id: int = Field(..., alias="orderId")
    """
    ID of order that needs to be fetched
    """


class GetPetByIdArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    pet_id: int = Field(..., alias="petId")
    """
    ID of pet to return
    """


class GetUserByNameArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    username: str
    """
    The name that needs to be fetched. Use user1 for testing
    """


class LoginUserArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    username: str | None = None
    """
    The user name for login
    """
    password: str | None = None
    """
    The password for login in clear text
    """


class LoginUserResponse(RootModel[str]):
    root: str


class LogoutUserArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )


class Status2(StrEnum):
    """
    Order Status
    """

    PLACED = "placed"
    APPROVED = "approved"
    DELIVERED = "delivered"


class Order(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
        json_schema_extra={"xml": {"name": "order"}},
    )
    id: int | None = None
    pet_id: int | None = Field(default=None, alias="petId")
    quantity: int | None = None
    ship_date: AwareDatetime | None = Field(default=None, alias="shipDate")
    status: Status2 | None = None
    """
    Order Status
    """
    complete: bool | None = None
    username: str | None = None
    """
    The customer who placed the order
    """


class Status3(StrEnum):
    """
    pet status in the store
    """

    AVAILABLE = "available"
    PENDING = "pending"
    SOLD = "sold"


class Status4(StrEnum):
    """
    Order Status
    """

    PLACED = "placed"
    APPROVED = "approved"
    DELIVERED = "delivered"


class PlaceOrderArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    id: int | None = None
    pet_id: int | None = Field(default=None, alias="petId")
    quantity: int | None = None
    ship_date: AwareDatetime | None = Field(default=None, alias="shipDate")
    status: Status4 | None = None
    """
    Order Status
    """
    complete: bool | None = None
    username: str | None = None
    """
    The customer who placed the order
    """


class Tag(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
        json_schema_extra={"xml": {"name": "tag"}},
    )
    id: int | None = None
    name: str | None = None


class Status5(StrEnum):
    """
    pet status in the store
    """

    AVAILABLE = "available"
    PENDING = "pending"
    SOLD = "sold"


class UpdatePetArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    id: int | None = None
    name: str
    category: Category | None = None
    photo_urls: list[str] = Field(
        ..., alias="photoUrls", json_schema_extra={"xml": {"wrapped": True}}
    )
    tags: list[Tag] | None = Field(
        default=None, json_schema_extra={"xml": {"wrapped": True}}
    )
    status: Status5 | None = None
    """
    pet status in the store
    """


class UpdatePetWithFormArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    pet_id: int = Field(..., alias="petId")
    """
    ID of pet that needs to be updated
    """
    name: str | None = None
    """
    Name of pet that needs to be updated
    """
    status: str | None = None
    """
    Status of pet that needs to be updated
    """


class UpdateUserArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    username__path: str
    """
    name that need to be deleted
    """
    id: int | None = None
    username__body: str | None = None
    first_name: str | None = Field(default=None, alias="firstName")
    last_name: str | None = Field(default=None, alias="lastName")
    email: str | None = None
    password: str | None = None
    phone: str | None = None
    user_status: int | None = Field(default=None, alias="userStatus")
    """
    User Status
    """


class UploadFileArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    pet_id: int = Field(..., alias="petId")
    """
    ID of pet to update
    """
    additional_metadata: str | None = Field(default=None, alias="additionalMetadata")
    """
    Additional Metadata
    """
    body: bytes | None = None


class User(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
        json_schema_extra={"xml": {"name": "user"}},
    )
    id: int | None = None
    username: str | None = None
    first_name: str | None = Field(default=None, alias="firstName")
    last_name: str | None = Field(default=None, alias="lastName")
    email: str | None = None
    password: str | None = None
    phone: str | None = None
    user_status: int | None = Field(default=None, alias="userStatus")
    """
    User Status
    """


class AddPetArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    id: int | None = None
    name: str
    category: Category | None = None
    photo_urls: list[str] = Field(
        ..., alias="photoUrls", json_schema_extra={"xml": {"wrapped": True}}
    )
    tags: list[Tag] | None = Field(
        default=None, json_schema_extra={"xml": {"wrapped": True}}
    )
    status: Status | None = None
    """
    pet status in the store
    """


class CreateUsersWithListInputArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    body: list[User] | None = None


class Pet(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
        json_schema_extra={"xml": {"name": "pet"}},
    )
    id: int | None = None
    name: str
    category: Category | None = None
    photo_urls: list[str] = Field(
        ..., alias="photoUrls", json_schema_extra={"xml": {"wrapped": True}}
    )
    tags: list[Tag] | None = Field(
        default=None, json_schema_extra={"xml": {"wrapped": True}}
    )
    status: Status3 | None = None
    """
    pet status in the store
    """


class FindPetsByStatusResponse(RootModel[list[Pet]]):
    root: list[Pet]


class FindPetsByTagsResponse(RootModel[list[Pet]]):
    root: list[Pet]

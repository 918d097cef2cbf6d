from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class AreaType(StrEnum):
    LEVEL = "LEVEL"
    SECTION = "SECTION"
    AREA = "AREA"


class AreaAttributes(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    area_type: AreaType | None = Field(default=None, alias="areaType")
    description: str | None = None
    name: str | None = None
    rank: int | None = None


class AttributeRefAttributes(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    description: str | None = None


class AttributeRefRelationships(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )


class GetEventOffersArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    x_ssl_cert_uid: str | None = Field(default="", alias="X-SSL-CERT-UID")
    """
    API Key for external API developer
    """
    x_tm_access_token: str | None = Field(default="", alias="X-TM-ACCESS-TOKEN")
    """
    Access token for
    """
    access_token: str | None = None
    """
    Query Param Access Token
    """
    api_key: str | None = Field(default=None, alias="api-key")
    """
    Query Param API Key for external API developer
    """
    event_id: str = Field(..., alias="eventId")
    """
    Event Identifier
    """
    body: str | None = None
    """
    displayId to un-hide protected offers
    """


class HoldRefAttributes(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )


class HoldRefRelationships(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )


class HrefLinkValue(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    href: str | None = None


class Limit(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    max: int | None = None
    max_accessible_seats: int | None = Field(default=None, alias="maxAccessibleSeats")
    max_companion_seats_per_accessible_seat: int | None = Field(
        default=None, alias="maxCompanionSeatsPerAccessibleSeat"
    )
    min: int | None = None
    multiples: int | None = None
    sellable_qty: str | None = Field(default=None, alias="sellableQty")


class Links(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )


class OfferDetails(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    link: str | None = None
    link_text: str | None = Field(default=None, alias="linkText")
    text: str | None = None


class OfferPriceFee(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    label: str | None = None
    type: str | None = None
    value: str | None = None


class OfferPriceTax(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    label: str | None = None
    type: str | None = None
    value: str | None = None


class OfferedPriceAttributes(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    currency: str | None = None
    value: str | None = None


class PasswordMetadata(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    offer_ids: list[str] | None = Field(default=None, alias="offerIds")


class PriceZoneAttributes(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    currency: str | None = None
    name: str | None = None


class Prompt(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    id: str | None = None
    text: str | None = None


class ResponseObjectRef(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    id: str | None = None
    type: str | None = None


class ResponseObjectRefList(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    field_links: Links | None = Field(default=None, alias="_links")
    data: list[ResponseObjectRef] | None = None


class SimpleLinks(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    self: HrefLinkValue | None = None


class Source(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    id: str | None = None
    name: str | None = None


class AreaRelationships(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    areas: ResponseObjectRefList | None = None
    offers: ResponseObjectRefList | None = None
    price_zones: ResponseObjectRefList | None = Field(default=None, alias="priceZones")


class AttributeRef(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    field_links: SimpleLinks | None = Field(default=None, alias="_links")
    attributes: AttributeRefAttributes | None = None
    id: str | None = None
    relationships: AttributeRefRelationships | None = None
    type: str | None = None


class EventMappingView(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    id: str | None = None
    source: Source | None = None
    type: str | None = None


class HoldRef(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    field_links: SimpleLinks | None = Field(default=None, alias="_links")
    attributes: HoldRefAttributes | None = None
    id: str | None = None
    relationships: HoldRefRelationships | None = None
    type: str | None = None


class OfferPrice(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    fees: list[OfferPriceFee] | None = None
    price_zone: str | None = Field(default=None, alias="priceZone")
    taxes: list[OfferPriceTax] | None = None
    total: str | None = None
    value: str | None = None


class OfferRelationships(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    areas: ResponseObjectRefList | None = None
    offer_sets: ResponseObjectRefList | None = Field(default=None, alias="offerSets")
    passwords: ResponseObjectRefList | None = None
    price_zones: ResponseObjectRefList | None = Field(default=None, alias="priceZones")
    products: ResponseObjectRefList | None = None


class OfferingResponseMetadata(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    accessible_seating_enabled: bool | None = Field(
        default=False, alias="accessibleSeatingEnabled"
    )
    event_mapping: EventMappingView | None = Field(default=None, alias="eventMapping")


class PasswordAttributes(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    end: AwareDatetime | None = None
    exclusive: bool | None = False
    link: str | None = None
    link_label: str | None = Field(default=None, alias="linkLabel")
    name: str | None = None
    prompts: list[Prompt] | None = None
    start: AwareDatetime | None = None
    text: str | None = None
    text_label: str | None = Field(default=None, alias="textLabel")
    type: str | None = None


class PriceZoneRelationships(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    areas: ResponseObjectRefList | None = None
    offers: ResponseObjectRefList | None = None


class ResponseObjectListAttributeRefSimpleLinks(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    field_links: SimpleLinks | None = Field(default=None, alias="_links")
    data: list[AttributeRef] | None = None


class ResponseObjectListHoldRefSimpleLinks(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    field_links: SimpleLinks | None = Field(default=None, alias="_links")
    data: list[HoldRef] | None = None


class ResponseObjectRefListSimpleLinks(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    field_links: SimpleLinks | None = Field(default=None, alias="_links")
    data: list[ResponseObjectRef] | None = None


class Area(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    field_links: SimpleLinks | None = Field(default=None, alias="_links")
    attributes: AreaAttributes | None = None
    id: str | None = None
    relationships: AreaRelationships | None = None
    type: str | None = None


class OfferAttributes(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    currency: str | None = None
    description: str | None = None
    end: AwareDatetime | None = None
    limit: Limit | None = None
    name: str | None = None
    offer_details: OfferDetails | None = Field(default=None, alias="offerDetails")
    offer_type: str | None = Field(default=None, alias="offerType")
    prices: list[OfferPrice] | None = None
    rank: int | None = None
    start: AwareDatetime | None = None


class OfferedPriceRelationships(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    areas: ResponseObjectRefList | None = None
    offers: ResponseObjectRefListSimpleLinks | None = None
    price_zones: ResponseObjectRefListSimpleLinks | None = Field(
        default=None, alias="priceZones"
    )


class PasswordRelationships(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    offers: ResponseObjectRefListSimpleLinks | None = None


class PriceZone(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    field_links: SimpleLinks | None = Field(default=None, alias="_links")
    attributes: PriceZoneAttributes | None = None
    id: str | None = None
    relationships: PriceZoneRelationships | None = None
    type: str | None = None


class ResponseObjectListAreaSimpleLinks(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    field_links: SimpleLinks | None = Field(default=None, alias="_links")
    data: list[Area] | None = None


class ResponseObjectListPriceZoneSimpleLinks(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    field_links: SimpleLinks | None = Field(default=None, alias="_links")
    data: list[PriceZone] | None = None


class Offer(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    field_links: SimpleLinks | None = Field(default=None, alias="_links")
    attributes: OfferAttributes | None = None
    id: str | None = None
    relationships: OfferRelationships | None = None
    type: str | None = None


class OfferedPrice(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    field_links: SimpleLinks | None = Field(default=None, alias="_links")
    attributes: OfferedPriceAttributes | None = None
    id: str | None = None
    relationships: OfferedPriceRelationships | None = None
    type: str | None = None


class Password(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    field_links: SimpleLinks | None = Field(default=None, alias="_links")
    attributes: PasswordAttributes | None = None
    id: str | None = None
    metadata: PasswordMetadata | None = None
    relationships: PasswordRelationships | None = None
    type: str | None = None


class ResponseObjectListOfferedPriceSimpleLinks(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    field_links: SimpleLinks | None = Field(default=None, alias="_links")
    data: list[OfferedPrice] | None = None


class ResponseObjectListPasswordSimpleLinks(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    field_links: SimpleLinks | None = Field(default=None, alias="_links")
    data: list[Password] | None = None


class OfferingResponseEmbeddedData(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    areas: ResponseObjectListAreaSimpleLinks | None = None
    attributes_refs: ResponseObjectListAttributeRefSimpleLinks | None = Field(
        default=None, alias="attributesRefs"
    )
    holds: ResponseObjectListHoldRefSimpleLinks | None = None
    passwords: ResponseObjectListPasswordSimpleLinks | None = None
    price_zones: ResponseObjectListPriceZoneSimpleLinks | None = Field(
        default=None, alias="priceZones"
    )


class OfferingResponse(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    field_embedded: OfferingResponseEmbeddedData | None = Field(
        default=None, alias="_embedded"
    )
    debug: list[str] | None = None
    limits: Limit | None = None
    metadata: OfferingResponseMetadata | None = None
    offers: list[Offer] | None = None
    prices: ResponseObjectListOfferedPriceSimpleLinks | None = None

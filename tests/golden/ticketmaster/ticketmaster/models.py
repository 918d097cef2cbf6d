from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, Field


class AreaType(StrEnum):
    LEVEL = "LEVEL"
    SECTION = "SECTION"
    AREA = "AREA"


class AreaAttributes(BaseModel):
    area_type: AreaType | None = Field(None, alias="areaType")
    description: str | None = None
    name: str | None = None
    rank: int | None = None


class AttributeRefAttributes(BaseModel):
    description: str | None = None


class AttributeRefRelationships(BaseModel):
    pass


class GetEventOffersArgs(BaseModel):
    x_ssl_cert_uid: str | None = Field("", alias="X-SSL-CERT-UID")
    """
    API Key for external API developer
    """
    x_tm_access_token: str | None = Field("", alias="X-TM-ACCESS-TOKEN")
    """
    Access token for
    """
    access_token: str | None = None
    """
    Query Param Access Token
    """
    api_key: str | None = Field(None, alias="api-key")
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
    pass


class HoldRefRelationships(BaseModel):
    pass


class HrefLinkValue(BaseModel):
    href: str | None = None


class Limit(BaseModel):
    max: int | None = None
    max_accessible_seats: int | None = Field(None, alias="maxAccessibleSeats")
    max_companion_seats_per_accessible_seat: int | None = Field(
        None, alias="maxCompanionSeatsPerAccessibleSeat"
    )
    min: int | None = None
    multiples: int | None = None
    sellable_qty: str | None = Field(None, alias="sellableQty")


class Links(BaseModel):
    pass


class OfferDetails(BaseModel):
    link: str | None = None
    link_text: str | None = Field(None, alias="linkText")
    text: str | None = None


class OfferPriceFee(BaseModel):
    label: str | None = None
    type: str | None = None
    value: str | None = None


class OfferPriceTax(BaseModel):
    label: str | None = None
    type: str | None = None
    value: str | None = None


class OfferedPriceAttributes(BaseModel):
    currency: str | None = None
    value: str | None = None


class PasswordMetadata(BaseModel):
    offer_ids: list[str] | None = Field(None, alias="offerIds")


class PriceZoneAttributes(BaseModel):
    currency: str | None = None
    name: str | None = None


class Prompt(BaseModel):
    id: str | None = None
    text: str | None = None


class ResponseObjectRef(BaseModel):
    id: str | None = None
    type: str | None = None


class ResponseObjectRefList(BaseModel):
    field_links: Links | None = Field(None, alias="_links")
    data: list[ResponseObjectRef] | None = None


class SimpleLinks(BaseModel):
    self: HrefLinkValue | None = None


class Source(BaseModel):
    id: str | None = None
    name: str | None = None


class AreaRelationships(BaseModel):
    areas: ResponseObjectRefList | None = None
    offers: ResponseObjectRefList | None = None
    price_zones: ResponseObjectRefList | None = Field(None, alias="priceZones")


class AttributeRef(BaseModel):
    field_links: SimpleLinks | None = Field(None, alias="_links")
    attributes: AttributeRefAttributes | None = None
    id: str | None = None
    relationships: AttributeRefRelationships | None = None
    type: str | None = None


class EventMappingView(BaseModel):
    id: str | None = None
    source: Source | None = None
    type: str | None = None


class HoldRef(BaseModel):
    field_links: SimpleLinks | None = Field(None, alias="_links")
    attributes: HoldRefAttributes | None = None
    id: str | None = None
    relationships: HoldRefRelationships | None = None
    type: str | None = None


class OfferPrice(BaseModel):
    fees: list[OfferPriceFee] | None = None
    price_zone: str | None = Field(None, alias="priceZone")
    taxes: list[OfferPriceTax] | None = None
    total: str | None = None
    value: str | None = None


class OfferRelationships(BaseModel):
    areas: ResponseObjectRefList | None = None
    offer_sets: ResponseObjectRefList | None = Field(None, alias="offerSets")
    passwords: ResponseObjectRefList | None = None
    price_zones: ResponseObjectRefList | None = Field(None, alias="priceZones")
    products: ResponseObjectRefList | None = None


class OfferingResponseMetadata(BaseModel):
    accessible_seating_enabled: bool | None = Field(
        False, alias="accessibleSeatingEnabled"
    )
    event_mapping: EventMappingView | None = Field(None, alias="eventMapping")


class PasswordAttributes(BaseModel):
    end: AwareDatetime | None = None
    exclusive: bool | None = False
    link: str | None = None
    link_label: str | None = Field(None, alias="linkLabel")
    name: str | None = None
    prompts: list[Prompt] | None = None
    start: AwareDatetime | None = None
    text: str | None = None
    text_label: str | None = Field(None, alias="textLabel")
    type: str | None = None


class PriceZoneRelationships(BaseModel):
    areas: ResponseObjectRefList | None = None
    offers: ResponseObjectRefList | None = None


class ResponseObjectListAttributeRefSimpleLinks(BaseModel):
    field_links: SimpleLinks | None = Field(None, alias="_links")
    data: list[AttributeRef] | None = None


class ResponseObjectListHoldRefSimpleLinks(BaseModel):
    field_links: SimpleLinks | None = Field(None, alias="_links")
    data: list[HoldRef] | None = None


class ResponseObjectRefListSimpleLinks(BaseModel):
    field_links: SimpleLinks | None = Field(None, alias="_links")
    data: list[ResponseObjectRef] | None = None


class Area(BaseModel):
    field_links: SimpleLinks | None = Field(None, alias="_links")
    attributes: AreaAttributes | None = None
    id: str | None = None
    relationships: AreaRelationships | None = None
    type: str | None = None


class OfferAttributes(BaseModel):
    currency: str | None = None
    description: str | None = None
    end: AwareDatetime | None = None
    limit: Limit | None = None
    name: str | None = None
    offer_details: OfferDetails | None = Field(None, alias="offerDetails")
    offer_type: str | None = Field(None, alias="offerType")
    prices: list[OfferPrice] | None = None
    rank: int | None = None
    start: AwareDatetime | None = None


class OfferedPriceRelationships(BaseModel):
    areas: ResponseObjectRefList | None = None
    offers: ResponseObjectRefListSimpleLinks | None = None
    price_zones: ResponseObjectRefListSimpleLinks | None = Field(
        None, alias="priceZones"
    )


class PasswordRelationships(BaseModel):
    offers: ResponseObjectRefListSimpleLinks | None = None


class PriceZone(BaseModel):
    field_links: SimpleLinks | None = Field(None, alias="_links")
    attributes: PriceZoneAttributes | None = None
    id: str | None = None
    relationships: PriceZoneRelationships | None = None
    type: str | None = None


class ResponseObjectListAreaSimpleLinks(BaseModel):
    field_links: SimpleLinks | None = Field(None, alias="_links")
    data: list[Area] | None = None


class ResponseObjectListPriceZoneSimpleLinks(BaseModel):
    field_links: SimpleLinks | None = Field(None, alias="_links")
    data: list[PriceZone] | None = None


class Offer(BaseModel):
    field_links: SimpleLinks | None = Field(None, alias="_links")
    attributes: OfferAttributes | None = None
    id: str | None = None
    relationships: OfferRelationships | None = None
    type: str | None = None


class OfferedPrice(BaseModel):
    field_links: SimpleLinks | None = Field(None, alias="_links")
    attributes: OfferedPriceAttributes | None = None
    id: str | None = None
    relationships: OfferedPriceRelationships | None = None
    type: str | None = None


class Password(BaseModel):
    field_links: SimpleLinks | None = Field(None, alias="_links")
    attributes: PasswordAttributes | None = None
    id: str | None = None
    metadata: PasswordMetadata | None = None
    relationships: PasswordRelationships | None = None
    type: str | None = None


class ResponseObjectListOfferedPriceSimpleLinks(BaseModel):
    field_links: SimpleLinks | None = Field(None, alias="_links")
    data: list[OfferedPrice] | None = None


class ResponseObjectListPasswordSimpleLinks(BaseModel):
    field_links: SimpleLinks | None = Field(None, alias="_links")
    data: list[Password] | None = None


class OfferingResponseEmbeddedData(BaseModel):
    areas: ResponseObjectListAreaSimpleLinks | None = None
    attributes_refs: ResponseObjectListAttributeRefSimpleLinks | None = Field(
        None, alias="attributesRefs"
    )
    holds: ResponseObjectListHoldRefSimpleLinks | None = None
    passwords: ResponseObjectListPasswordSimpleLinks | None = None
    price_zones: ResponseObjectListPriceZoneSimpleLinks | None = Field(
        None, alias="priceZones"
    )


class OfferingResponse(BaseModel):
    field_embedded: OfferingResponseEmbeddedData | None = Field(None, alias="_embedded")
    debug: list[str] | None = None
    limits: Limit | None = None
    metadata: OfferingResponseMetadata | None = None
    offers: list[Offer] | None = None
    prices: ResponseObjectListOfferedPriceSimpleLinks | None = None

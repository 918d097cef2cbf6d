from __future__ import annotations

from datetime import date as date_aliased
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, RootModel


class Date(RootModel[date_aliased]):
    root: date_aliased


class DeleteSpecialEventArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    event_id: UUID = Field(..., alias="eventId")
    """
    Identifier for a special event.
    """


class Email(RootModel[str]):
    root: str
    """
    Email address for ticket purchaser.
    """


class Error(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    type: str | None = None
    title: str | None = None


class EventDates(RootModel[list[Date]]):
    """
    List of planned dates for the special event.
    """

    root: list[Date]
    """
    List of planned dates for the special event.
    """


class EventDescription(RootModel[str]):
    root: str
    """
    Description of the special event.
    """


class EventId(RootModel[UUID]):
    root: UUID
    """
    Identifier for a special event.
    """


class EventLocation(RootModel[str]):
    root: str
    """
    Location where the special event is held.
    """


class EventName(RootModel[str]):
    root: str
    """
    Name of the special event.
    """


class EventPrice(RootModel[float]):
    root: float
    """
    Price of a ticket for the special event.
    """


class GetMuseumHoursArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    start_date: date_aliased | None = Field(default=None, alias="startDate")
    """
    Starting date to retrieve future operating hours from. Defaults to today's date.
    """
    page: int | None = 1
    """
    Page number to retrieve.
    """
    limit: int | None = Field(default=10, le=30)
    """
    Number of days per page.
    """


class GetSpecialEventArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    event_id: UUID = Field(..., alias="eventId")
    """
    Identifier for a special event.
    """


class GetTicketCodeArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    ticket_id: UUID = Field(..., alias="ticketId")
    """
    Identifier for a ticket to a museum event. Used to generate ticket image.
    """


class ListSpecialEventsArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    start_date: date_aliased | None = Field(default=None, alias="startDate")
    """
    Starting date to retrieve future operating hours from. Defaults to today's date.
    """
    end_date: date_aliased | None = Field(default=None, alias="endDate")
    """
    End of a date range to retrieve special events for. Defaults to 7 days after `startDate`.
    """
    page: int | None = 1
    """
    Page number to retrieve.
    """
    limit: int | None = Field(default=10, le=30)
    """
    Number of days per page.
    """


class MuseumDailyHours(BaseModel):
    """
    Daily operating hours for the museum.
    """

    model_config = ConfigDict(
        populate_by_name=True,
    )
    date: Date
    """
    Date the operating hours apply to.
    """
    time_open: str = Field(
        ..., alias="timeOpen", pattern="^([01]\\d|2[0-3]):?([0-5]\\d)$"
    )
    """
    Time the museum opens on a specific date. Uses 24 hour time format (`HH:mm`).
    """
    time_close: str = Field(
        ..., alias="timeClose", pattern="^([01]\\d|2[0-3]):?([0-5]\\d)$"
    )
    """
    Time the museum closes on a specific date. Uses 24 hour time format (`HH:mm`).
    """


class MuseumHours(RootModel[list[MuseumDailyHours]]):
    """
    List of museum operating hours for a date range.
    """

    root: list[MuseumDailyHours]
    """
    List of museum operating hours for a date range.
    """


class SpecialEvent(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    event_id: EventId | None = Field(default=None, alias="eventId")
    name: EventName
    location: EventLocation
    event_description: EventDescription = Field(..., alias="eventDescription")
    dates: EventDates
    price: EventPrice


class SpecialEventCollection(RootModel[list[SpecialEvent]]):
    """
    List of upcoming special events.
    """

    root: list[SpecialEvent]
    """
    List of upcoming special events.
    """


class SpecialEventFields(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    name: EventName | None = None
    location: EventLocation | None = None
    event_description: EventDescription | None = Field(
        default=None, alias="eventDescription"
    )
    dates: EventDates | None = None
    price: EventPrice | None = None


class TicketCodeImage(RootModel[bytes]):
    root: bytes
    """
    Image of a ticket with a QR code used for museum or event entry.
    """


class TicketConfirmation(RootModel[str]):
    root: str
    """
    Unique confirmation code used to verify ticket purchase.
    """


class TicketId(RootModel[UUID]):
    root: UUID
    """
    Unique identifier for museum ticket. Generated when purchased.
    """


class TicketMessage(RootModel[str]):
    root: str
    """
    Confirmation message after a ticket purchase.
    """


class TicketType(StrEnum):
    """
    Type of ticket being purchased. Use `general` for regular museum entry and `event` for tickets to special events.
    """

    EVENT = "event"
    GENERAL = "general"


class UpdateSpecialEventArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    event_id: UUID = Field(..., alias="eventId")
    """
    Identifier for a special event.
    """
    name: EventName | None = None
    location: EventLocation | None = None
    event_description: EventDescription | None = Field(
        default=None, alias="eventDescription"
    )
    dates: EventDates | None = None
    price: EventPrice | None = None


class CreateSpecialEventArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    event_id: EventId | None = Field(default=None, alias="eventId")
    name: EventName
    location: EventLocation
    event_description: EventDescription = Field(..., alias="eventDescription")
    dates: EventDates
    price: EventPrice


class Ticket(BaseModel):
    """
    Ticket for museum entry, can be general admission or special event.
    """

    model_config = ConfigDict(
        populate_by_name=True,
    )
    ticket_id: TicketId | None = Field(default=None, alias="ticketId")
    ticket_date: Date = Field(..., alias="ticketDate")
    """
    Date when this ticket can be used for museum entry.
    """
    ticket_type: TicketType = Field(..., alias="ticketType")
    event_id: EventId | None = Field(default=None, alias="eventId")
    """
    Unique identifier for a special event. Required if purchasing tickets for the museum's special events.
    """


class BuyMuseumTickets(Ticket):
    """
    Data to purchase a ticket.
    """

    model_config = ConfigDict(
        populate_by_name=True,
    )
    email: Email | None = None


class BuyMuseumTicketsArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    body: BuyMuseumTickets


class MuseumTicketsConfirmation(Ticket):
    """
    Details for a museum ticket after a successful purchase.
    """

    model_config = ConfigDict(
        populate_by_name=True,
    )
    message: TicketMessage
    confirmation_code: TicketConfirmation = Field(..., alias="confirmationCode")

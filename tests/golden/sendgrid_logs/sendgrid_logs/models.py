from __future__ import annotations

from enum import Enum, IntEnum, StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel


class AsmGroupId(RootModel[int]):
    root: int
    """
    The ID of the ASM (Advanced Suppression Manager) group associated with the message
    """


class BounceClassification(StrEnum):
    CONTENT = "Content"
    FREQUENCY_OR_VOLUME_TOO_HIGH = "Frequency or Volume Too High"
    INVALID_ADDRESS = "Invalid Address"
    MAILBOX_UNAVAILABLE = "Mailbox Unavailable"
    REPUTATION = "Reputation"
    TECHNICAL = "Technical"
    UNCLASSIFIED = "Unclassified"


class BounceType(StrEnum):
    """
    The type of bounce that occurred.

    - `bounce` typically means that the message is permanently undeliverable (hard bounce).
    - `blocked` indicates that the message was temporarily undeliverable (soft bounce).

    """

    BOUNCE = "bounce"
    BLOCKED = "blocked"


class CertificateError(StrEnum):
    """
    Indicates that there was a certificate error during the TLS handshake.
    """

    FIELD_1 = "1"


class CustomArgs(RootModel[dict[str, str]]):
    """
    Custom arguments provided with the mail send request.
    We deviate here from the Event Webhook schema by NOT merging custom args into the top level of the object,
    in order to avoid collisions with system-defined fields.
    These are known as Custom Args in [/v3/mail/send](https://www.twilio.com/docs/sendgrid/api-reference/mail-send/mail-send)
    but [Unique Args](https://www.twilio.com/docs/sendgrid/for-developers/sending-email/unique-arguments) in SMTP and HTTP v2 mail send (/api/mail.send.json).

    """

    root: dict[str, str]


class CustomerTimezoneDate(RootModel[str]):
    root: str = Field(..., pattern="^\\d{4}-\\d{2}-\\d{2}$")
    """
    A date in the format YYYY-MM-DD, after converting the timestamp to the customer's timezone.

    """


class DropReason(RootModel[str]):
    root: str
    """
    The general reason the email was dropped
    """


class EmailCategories(RootModel[list[str]]):
    """
    Message categories
    """

    root: list[str]
    """
    Message categories
    """


class EmailLogsGetMessagesByFilterRequest(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    query: str | None = None
    """
    **Allowed event fields and operators**

    - sg_message_id: `=`
    - subject: `=`
    - to_email: `=`
    - status: `IN`
    - reason: `=`
    - categories: `IN`
    - sg_message_id_created_at: `>`, `<`, `>=`, `<=`

    **Notes:**

    - multiple conditions can be combined with `AND`
    - nesting is not allowed
    - `IN` operator accepts a list of string values: `field IN ('value1', 'value2')`

    """
    limit: int | None = Field(default=10, ge=1, le=1000)
    """
    Number of messages to return (1–1000).
    """
    subusers: list[str] | None = Field(default=None, max_length=1)
    """
    For requests authenticated as the parent account,
    this argument must be passed if the desired messages belong to a subuser.
    You can only call this endpoint for 1 subuser at a time.

    """


class EmailLogsMessageStatus(StrEnum):
    """
    **A summary of the message status based on which events have occurred.**

    - processed: `processed`
    - dropped: `drop`, `cancel_drop`
    - deferred: `deferred`
    - bounced: `bounce`
    - blocked: `bounce` (type=`block`)
    - delivered: `delivered`, `click`, `open`

    """

    PROCESSED = "processed"
    DELIVERED = "delivered"
    DEFERRED = "deferred"
    DROPPED = "dropped"
    BOUNCED = "bounced"
    BLOCKED = "blocked"


class EngagementUrlContentType(StrEnum):
    """
    The content type of the email part that was interacted with.
    This is derived from the prefix of the "urlOffset" in engagement events:

    ```
    h|o|uh -> html
    ut|t   -> text
    um     -> header
    a      -> amp
    ```

    """

    HTML = "html"
    TEXT = "text"
    HEADER = "header"
    AMP = "amp"


class EngagementUrlOffset(BaseModel):
    """
    The offset index of the Url in the email content that was interacted with,
    and its content type.

    """

    model_config = ConfigDict(
        populate_by_name=True,
    )
    index: int | None = None
    type: EngagementUrlContentType | None = None


class Error(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    message: str
    """
    Error message.
    """
    field: str | None = None
    """
    (Optional) The field that caused the error.
    """


class ErrorResponse(BaseModel):
    """
    Standard SendGrid error response.
    """

    model_config = ConfigDict(
        populate_by_name=True,
    )
    errors: list[Error] | None = None


class Event(StrEnum):
    BOUNCE = "bounce"


class Event1(StrEnum):
    CLICK = "click"


class Event10(StrEnum):
    GROUP_RESUBSCRIBE = "group_resubscribe"


class Event11(StrEnum):
    UNSUBSCRIBE = "unsubscribe"


class Event2(StrEnum):
    DEFERRED = "deferred"


class Event3(StrEnum):
    DELIVERED = "delivered"


class Event4(StrEnum):
    DROPPED = "dropped"
    CANCEL_DROP = "cancel_drop"


class Event5(StrEnum):
    OPEN = "open"


class Event6(StrEnum):
    PROCESSED = "processed"


class Event7(StrEnum):
    RECEIVED = "received"


class Event8(StrEnum):
    SPAMREPORT = "spamreport"


class Event9(StrEnum):
    GROUP_UNSUBSCRIBE = "group_unsubscribe"


class GetMessageByIdArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    sg_message_id: str
    """
    The ID of the message you are requesting details for.
    """
    subuser: str | None = None
    """
    For requests authenticated as the parent account,
    this argument must be passed if the desired message belongs to a subuser.

    """


class HttpUserAgent(RootModel[str]):
    root: str
    """
    User agent of the request that triggered the event
    """


class IpAddress(RootModel[str]):
    root: str
    """
    IPv4 or IPv6 address
    """


class ListMessagesByFilterArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    query: str | None = None
    """
    **Allowed event fields and operators**

    - sg_message_id: `=`
    - subject: `=`
    - to_email: `=`
    - status: `IN`
    - reason: `=`
    - categories: `IN`
    - sg_message_id_created_at: `>`, `<`, `>=`, `<=`

    **Notes:**

    - multiple conditions can be combined with `AND`
    - nesting is not allowed
    - `IN` operator accepts a list of string values: `field IN ('value1', 'value2')`

    """
    limit: int | None = Field(default=10, ge=1, le=1000)
    """
    Number of messages to return (1–1000).
    """
    subusers: list[str] | None = Field(default=None, max_length=1)
    """
    For requests authenticated as the parent account,
    this argument must be passed if the desired messages belong to a subuser.
    You can only call this endpoint for 1 subuser at a time.

    """


class OutboundIpPoolMetadata(BaseModel):
    """
    Outbound IP Pool metadata
    """

    model_config = ConfigDict(
        populate_by_name=True,
    )
    name: str | None = None
    """
    IP Pool name
    """
    id: str | None = Field(default=None, pattern="^[0-9]+$")
    """
    IP Pool ID, as a numeric string
    """


class ReceivedMessageId(RootModel[str]):
    root: str
    """
    Received Message ID, a string that uniquely identifies the mail send request
    """


class SgEventId(RootModel[str]):
    root: str
    """
    SendGrid Event ID, a string that uniquely identifies the event
    """


class SgMachineOpen(Enum):
    """
    Indicates whether the open was detected as being performed by a machine rather than a human.
    The field is omitted if the value would be false.

    """

    BOOLEAN_TRUE = True


class SgMessageId(RootModel[str]):
    root: str
    """
    SendGrid Message ID, a string that uniquely identifies the message
    """


class SmtpId(RootModel[str]):
    root: str
    """
    SMTP ID associated with the message
    """


class SmtpResponse(RootModel[str]):
    root: str
    """
    SMTP response code and message indicating the reason the delivery succeeded or failed
    """


class SmtpStatus(RootModel[str]):
    root: str = Field(
        ..., pattern="^([245]\\.[01234567]\\.[01234567]|[1-5][0-9][0-9])$"
    )
    """
    SMTP status code associated with the bounce
    """


class TlsEnabled(IntEnum):
    """
    Indicates whether TLS was used (1). This field will only be present if TLS was used.
    """

    INTEGER_1 = 1


class UnixEpochSeconds(RootModel[int]):
    root: int
    """
    Unix timestamp
    """


class UnsubscribeEvent(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    event: Literal["unsubscribe"]
    email: str
    """
    Recipient email address.

    """
    sg_message_id: SgMessageId
    sg_event_id: SgEventId
    timestamp: UnixEpochSeconds
    ip: IpAddress | None = None
    useragent: HttpUserAgent | None = None
    reseller_id: str | None = None
    category: EmailCategories | None = None
    date: CustomerTimezoneDate
    custom_args: CustomArgs | None = None


class Url(RootModel[str]):
    root: str
    """
    Url associated with the event
    """


class BounceEvent(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    event: Literal["bounce"]
    email: str
    """
    Recipient email address.

    """
    sg_message_id: SgMessageId
    sg_event_id: SgEventId
    timestamp: UnixEpochSeconds
    smtp_id: SmtpId | None = Field(default=None, alias="smtp-id")
    ip: IpAddress | None = None
    tls: TlsEnabled | None = None
    category: EmailCategories | None = None
    asm_group_id: AsmGroupId | None = None
    bounce_classification: BounceClassification | None = None
    reason: SmtpResponse | None = None
    status: SmtpStatus | None = None
    type: BounceType
    cert_err: CertificateError | None = None
    custom_args: CustomArgs | None = None


class ClickEvent(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    event: Literal["click"]
    email: str
    """
    Recipient email address.

    """
    sg_message_id: SgMessageId
    sg_event_id: SgEventId
    timestamp: UnixEpochSeconds
    url: Url | None = None
    ip: IpAddress | None = None
    useragent: HttpUserAgent | None = None
    category: EmailCategories | None = None
    asm_group_id: AsmGroupId | None = None
    url_offset: EngagementUrlOffset | None = None
    custom_args: CustomArgs | None = None


class DeferredEvent(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    event: Literal["deferred"]
    email: str
    """
    Recipient email address.

    """
    sg_message_id: SgMessageId
    sg_event_id: SgEventId
    timestamp: UnixEpochSeconds
    smtp_id: SmtpId = Field(..., alias="smtp-id")
    response: SmtpResponse
    attempt: str = Field(..., pattern="^[0-9]+$")
    """
    The number of delivery attempts made for this email (zero-based counting).
    """
    ip: IpAddress | None = None
    tls: TlsEnabled | None = None
    category: EmailCategories | None = None
    asm_group_id: AsmGroupId | None = None
    cert_err: CertificateError | None = None
    domain: str | None = Field(default=None, pattern="^.+\\..+$")
    """
    The domain part of the recipient's email address.
    """
    from_: str | None = Field(default=None, alias="from")
    """
    The email address of the sender.
    This may not always be a valid email address.

    """
    custom_args: CustomArgs | None = None


class DeliveredEvent(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    event: Literal["delivered"]
    email: str
    """
    Recipient email address.

    """
    sg_message_id: SgMessageId
    sg_event_id: SgEventId
    timestamp: UnixEpochSeconds
    smtp_id: SmtpId = Field(..., alias="smtp-id")
    ip: IpAddress
    response: SmtpResponse
    tls: TlsEnabled | None = None
    category: EmailCategories | None = None
    asm_group_id: AsmGroupId | None = None
    cert_err: CertificateError | None = None
    custom_args: CustomArgs | None = None


class DroppedEvent(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    event: Literal["cancel_drop", "dropped"]
    email: str
    """
    Recipient email address.
    This field may be empty in some `drop` events.

    """
    sg_message_id: SgMessageId
    sg_event_id: SgEventId
    timestamp: UnixEpochSeconds
    smtp_id: SmtpId = Field(..., alias="smtp-id")
    reason: DropReason
    pool: OutboundIpPoolMetadata | None = None
    category: EmailCategories | None = None
    asm_group_id: AsmGroupId | None = None
    message: str | None = None
    """
    A detailed error message indicating why the email was dropped.
    """
    custom_args: CustomArgs | None = None


class EmailLogsMessage(BaseModel):
    """
    Summary information for a single message matching the filter.

    """

    model_config = ConfigDict(
        populate_by_name=True,
    )
    from_email: str
    """
    Sender email address.
    This may not always be a valid email address.

    """
    sg_message_id: str
    """
    Unique message ID.
    """
    subject: str
    """
    Email subject line.
    """
    to_email: str
    """
    Recipient email address
    """
    reason: str | None = None
    """
    Textual description for drop, bounce, deferral, or delivery event

    """
    status: EmailLogsMessageStatus
    sg_message_id_created_at: str
    """
    Timestamp when message_id was created at (ISO 8601).
    """


class GroupResubscribeEvent(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    event: Literal["group_resubscribe"]
    email: str
    """
    Recipient email address.

    """
    sg_message_id: SgMessageId
    sg_event_id: SgEventId
    timestamp: UnixEpochSeconds
    ip: IpAddress | None = None
    useragent: HttpUserAgent | None = None
    category: EmailCategories | None = None
    asm_group_id: AsmGroupId | None = None
    custom_args: CustomArgs | None = None


class GroupUnsubscribeEvent(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    event: Literal["group_unsubscribe"]
    email: str
    """
    Recipient email address.

    """
    sg_message_id: SgMessageId
    sg_event_id: SgEventId
    timestamp: UnixEpochSeconds
    ip: IpAddress | None = None
    useragent: HttpUserAgent | None = None
    category: EmailCategories | None = None
    asm_group_id: AsmGroupId | None = None
    custom_args: CustomArgs | None = None


class OpenEvent(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    event: Literal["open"]
    email: str
    """
    Recipient email address.

    """
    sg_message_id: SgMessageId
    sg_event_id: SgEventId
    timestamp: UnixEpochSeconds
    url: Url | None = None
    ip: IpAddress | None = None
    useragent: HttpUserAgent | None = None
    category: EmailCategories | None = None
    asm_group_id: AsmGroupId | None = None
    sg_content_type: EngagementUrlContentType | None = None
    sg_machine_open: SgMachineOpen | None = None
    custom_args: CustomArgs | None = None


class ProcessedEvent(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    event: Literal["processed"]
    email: str
    """
    Recipient email address.

    """
    sg_message_id: SgMessageId
    sg_event_id: SgEventId
    timestamp: UnixEpochSeconds
    smtp_id: str = Field(..., alias="smtp-id")
    send_at: int | None = None
    """
    The Unix timestamp in seconds of when the email is scheduled to be sent.
    """
    pool: OutboundIpPoolMetadata | None = None
    category: EmailCategories | None = None
    asm_group_id: AsmGroupId | None = None
    custom_args: CustomArgs | None = None


class ReceivedEvent(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    event: Literal["received"]
    recv_msgid: ReceivedMessageId
    sg_event_id: SgEventId
    timestamp: UnixEpochSeconds
    api_key_id: str | None = Field(
        default=None, max_length=50, pattern="^$|^[A-Za-z0-9_-]+$"
    )
    """
    The ID of the API Key used to authenticate the sending request for the message.
    """
    api_version: str | None = None
    client_ip: str
    """
    IPv4 or IPv6 address.
    """
    protocol: str
    recipient_count: int
    """
    Number of recipients.
    """
    reseller_id: str | None = None
    size: int
    """
    Size of the email in bytes.
    """
    useragent: HttpUserAgent | None = None
    v3_payload_details: dict[str, int] | None = None
    """
    Key-value pairs associated with the payload.
    """


class SpamReportEvent(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    event: Literal["spamreport"]
    email: str
    """
    Recipient email address.

    """
    sg_message_id: SgMessageId
    sg_event_id: SgEventId
    timestamp: UnixEpochSeconds
    category: EmailCategories | None = None
    custom_args: CustomArgs | None = None


class EmailLogsEvent(
    RootModel[
        BounceEvent
        | ClickEvent
        | DeferredEvent
        | DeliveredEvent
        | DroppedEvent
        | OpenEvent
        | ProcessedEvent
        | ReceivedEvent
        | SpamReportEvent
        | GroupUnsubscribeEvent
        | GroupResubscribeEvent
        | UnsubscribeEvent
    ]
):
    root: (
        BounceEvent
        | ClickEvent
        | DeferredEvent
        | DeliveredEvent
        | DroppedEvent
        | OpenEvent
        | ProcessedEvent
        | ReceivedEvent
        | SpamReportEvent
        | GroupUnsubscribeEvent
        | GroupResubscribeEvent
        | UnsubscribeEvent
    ) = Field(..., discriminator="event")
    """
    The union of all possible event types for email logs.

    """


class EmailLogsGetMessageByIdResponse(BaseModel):
    """
    Detailed information for the specified message, including all events related to the message.
    """

    model_config = ConfigDict(
        populate_by_name=True,
    )
    from_email: str
    """
    The 'From' email address used to deliver the message.
    This may not be a valid email address.

    """
    sg_message_id: str
    """
    A unique ID assigned to the message.
    """
    subject: str
    """
    The email's subject line.
    """
    to_email: str
    """
    The intended recipient's email address.
    """
    status: EmailLogsMessageStatus
    template_id: str | None = None
    """
    The ID associated with a Twilio SendGrid email template used to format the message.
    """
    asm_group_id: int | None = None
    """
    The unsubscribe group associated with this email.
    """
    teammate: str | None = Field(
        default=None, max_length=64, pattern="^$|^[A-Za-z0-9]+"
    )
    """
    Teammate's username.
    """
    api_key_id: str = Field(..., max_length=50, pattern="^$|^[A-Za-z0-9_-]+")
    """
    The ID of the API Key used to authenticate the sending request for the message.
    """
    events: list[EmailLogsEvent] = Field(..., max_length=100)
    """
    All events recorded for this message. Most recent events will be returned upto the maximum of 100 events.
    """
    client_ip: str
    """
    The IP address of the user who sent the message.
    """
    category: list[str] | None = None
    """
    The categories associated with the message.
    """
    custom_args: dict[str, str] | None = None
    """
    Custom key-value pairs associated with the message.
    """
    outbound_ip: str | None = None
    """
    The IP address used to send to the remote Mail Transfer Agent.
    """
    outbound_ip_type: str | None = None
    """
    The type of outbound IP address used to send the message.
    """
    marketing_campaign_id: int | None = None
    """
    The ID of the marketing campaign associated with the message.
    """
    marketing_campaign_name: str | None = None
    """
    The name of the marketing campaign associated with the message.
    """
    marketing_campaign_split_id: int | None = None
    """
    The ID of the split associated with the marketing campaign.
    """
    marketing_campaign_version: str | None = None
    """
    The version of the marketing campaign associated with the message.
    """


class EmailLogsGetMessagesByFilterResponse(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    messages: list[EmailLogsMessage]
    """
    List of messages matching the filter query.

    """

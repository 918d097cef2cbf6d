from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, RootModel


class Extractor(StrEnum):
    """
    document extractor
    """

    DEFAULT = "default"
    ARTICLE = "article"
    KEEP_EVERYTHING = "keep-everything"


class CorrectionGetArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    id: str | None = None
    """
    document ID
    """
    text: str | None = None
    """
    raw document text
    """
    url: str | None = None
    """
    document URL
    """
    extractor: Extractor | None = None
    """
    document extractor
    """
    language: str | None = None
    """
    document language
    """
    return_text_info: bool | None = Field(default=None, alias="returnTextInfo")


class Extractor1(StrEnum):
    """
    [optional] Text extractor to be used when analyzing HTML document
    """

    DEFAULT = "default"
    ARTICLE = "article"
    KEEP_EVERYTHING = "keep-everything"


class CorrectionPostArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    extractor: Extractor1 | None = None
    """
    [optional] Text extractor to be used when analyzing HTML document
    """
    id: str | None = None
    """
    Unique identifier of the document, it's optional
    """
    language: str | None = None
    """
    [optional] The language of the document, auto-detection will be used if omitted
    """
    options: dict[str, Any] | None = None
    """
    [optional] Additional options for the internal modules (key-value pairs)
    """
    return_text_info: bool | None = Field(default=None, alias="returnTextInfo")
    """
    [optional] Indicates whether to return the source text within the response object
    """
    text: str | None = None
    """
    The raw text to be analyzed, mutually exclusive with the 'url' parameter
    """
    url: str | None = None
    """
    URL of a document to be analysed, mutually exclusive with the 'text' parameter
    """


class Extractor2(StrEnum):
    """
    document extractor
    """

    DEFAULT = "default"
    ARTICLE = "article"
    KEEP_EVERYTHING = "keep-everything"


class EntitiesGetArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    id: str | None = None
    """
    document ID
    """
    text: str | None = None
    """
    raw document text
    """
    url: str | None = None
    """
    document URL
    """
    extractor: Extractor2 | None = None
    """
    document extractor
    """
    language: str | None = None
    """
    document language
    """
    return_text_info: bool | None = Field(default=None, alias="returnTextInfo")


class Extractor3(StrEnum):
    """
    [optional] Text extractor to be used when analyzing HTML document
    """

    DEFAULT = "default"
    ARTICLE = "article"
    KEEP_EVERYTHING = "keep-everything"


class EntitiesPostArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    extractor: Extractor3 | None = None
    """
    [optional] Text extractor to be used when analyzing HTML document
    """
    id: str | None = None
    """
    Unique identifier of the document, it's optional
    """
    language: str | None = None
    """
    [optional] The language of the document, auto-detection will be used if omitted
    """
    options: dict[str, Any] | None = None
    """
    [optional] Additional options for the internal modules (key-value pairs)
    """
    return_text_info: bool | None = Field(default=None, alias="returnTextInfo")
    """
    [optional] Indicates whether to return the source text within the response object
    """
    text: str | None = None
    """
    The raw text to be analyzed, mutually exclusive with the 'url' parameter
    """
    url: str | None = None
    """
    URL of a document to be analysed, mutually exclusive with the 'text' parameter
    """


class Entity(BaseModel):
    """
    The named entity
    """

    model_config = ConfigDict(
        populate_by_name=True,
    )
    entity: str
    """
    Disambiguated and standardized form of the entity
    """
    links: dict[str, Any]
    """
    Disambiguation links for the entity, e.g. its DBpedia page
    """
    sentiment: float | None = None
    """
    Detected sentiment of the entity (value from -1.0 to 1.0)
    """
    text_offset: int = Field(..., alias="textOffset")
    """
    Character offset in the text (starting from 0)
    """
    type: str
    """
    Detected type of the entity
    """


class EntrystringLong(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    key: int | None = None


class GetInfoArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )


class InformationAboutAUserAccount(RootModel[Any]):
    root: Any


class InformationAboutAUserAccount2(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    remaining_quotas: list[EntrystringLong] | None = Field(
        default=None, alias="remainingQuotas"
    )
    """
    Remaining quotas for the user account.
    """
    type: str | None = None
    """
    Type (plan) of the user account.
    """


class Label(BaseModel):
    """
    The topic label
    """

    model_config = ConfigDict(
        populate_by_name=True,
    )
    confidence: float
    """
    Confidence (probability) of this label
    """
    label: str
    """
    The value of this label
    """


class Extractor4(StrEnum):
    """
    document extractor
    """

    DEFAULT = "default"
    ARTICLE = "article"
    KEEP_EVERYTHING = "keep-everything"


class LemmatizeGetArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    id: str | None = None
    """
    document ID
    """
    text: str | None = None
    """
    raw document text
    """
    url: str | None = None
    """
    document URL
    """
    extractor: Extractor4 | None = None
    """
    document extractor
    """
    language: str | None = None
    """
    document language
    """
    return_text_info: bool | None = Field(default=None, alias="returnTextInfo")


class Extractor5(StrEnum):
    """
    [optional] Text extractor to be used when analyzing HTML document
    """

    DEFAULT = "default"
    ARTICLE = "article"
    KEEP_EVERYTHING = "keep-everything"


class LemmatizePostArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    extractor: Extractor5 | None = None
    """
    [optional] Text extractor to be used when analyzing HTML document
    """
    id: str | None = None
    """
    Unique identifier of the document, it's optional
    """
    language: str | None = None
    """
    [optional] The language of the document, auto-detection will be used if omitted
    """
    options: dict[str, Any] | None = None
    """
    [optional] Additional options for the internal modules (key-value pairs)
    """
    return_text_info: bool | None = Field(default=None, alias="returnTextInfo")
    """
    [optional] Indicates whether to return the source text within the response object
    """
    text: str | None = None
    """
    The raw text to be analyzed, mutually exclusive with the 'url' parameter
    """
    url: str | None = None
    """
    URL of a document to be analysed, mutually exclusive with the 'text' parameter
    """


class LemmatizeResponse(BaseModel):
    """
    Response for the lemmatization
    """

    model_config = ConfigDict(
        populate_by_name=True,
    )
    id: str | None = None
    """
    Unique identifier of the document
    """
    language: str
    """
    The used language of the document
    """
    lemmatized_text: str = Field(..., alias="lemmatizedText")
    """
    Lemmatized text of the document, individual tokens are separated by a space and sentences are separated by a new-line character
    """
    text: str | None = None
    """
    The raw text of the document which has been analysed
    """


class Request(BaseModel):
    """
    Request encapsulation for simple API version 1
    """

    model_config = ConfigDict(
        populate_by_name=True,
    )
    extractor: Extractor5 | None = None
    """
    [optional] Text extractor to be used when analyzing HTML document
    """
    id: str | None = None
    """
    Unique identifier of the document, it's optional
    """
    language: str | None = None
    """
    [optional] The language of the document, auto-detection will be used if omitted
    """
    options: dict[str, Any] | None = None
    """
    [optional] Additional options for the internal modules (key-value pairs)
    """
    return_text_info: bool | None = Field(default=None, alias="returnTextInfo")
    """
    [optional] Indicates whether to return the source text within the response object
    """
    text: str | None = None
    """
    The raw text to be analyzed, mutually exclusive with the 'url' parameter
    """
    url: str | None = None
    """
    URL of a document to be analysed, mutually exclusive with the 'text' parameter
    """


class ResponseForTheTextCorrection(RootModel[Any]):
    root: Any


class ResponseForTheTextCorrection2(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    corrected: bool | None = None
    corrected_text: str = Field(..., alias="correctedText")
    """
    Corrected text of the document
    """
    diacritized: bool | None = None
    id: str | None = None
    """
    Unique identifier of the document
    """
    language: str
    """
    The used language of the document
    """
    text: str | None = None
    """
    The raw text of the document which has been analysed
    """


class Extractor7(StrEnum):
    """
    document extractor
    """

    DEFAULT = "default"
    ARTICLE = "article"
    KEEP_EVERYTHING = "keep-everything"


class SentimentGetArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    id: str | None = None
    """
    document ID
    """
    text: str | None = None
    """
    raw document text
    """
    url: str | None = None
    """
    document URL
    """
    extractor: Extractor7 | None = None
    """
    document extractor
    """
    language: str | None = None
    """
    document language
    """
    return_text_info: bool | None = Field(default=None, alias="returnTextInfo")


class Extractor8(StrEnum):
    """
    [optional] Text extractor to be used when analyzing HTML document
    """

    DEFAULT = "default"
    ARTICLE = "article"
    KEEP_EVERYTHING = "keep-everything"


class SentimentPostArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    extractor: Extractor8 | None = None
    """
    [optional] Text extractor to be used when analyzing HTML document
    """
    id: str | None = None
    """
    Unique identifier of the document, it's optional
    """
    language: str | None = None
    """
    [optional] The language of the document, auto-detection will be used if omitted
    """
    options: dict[str, Any] | None = None
    """
    [optional] Additional options for the internal modules (key-value pairs)
    """
    return_text_info: bool | None = Field(default=None, alias="returnTextInfo")
    """
    [optional] Indicates whether to return the source text within the response object
    """
    text: str | None = None
    """
    The raw text to be analyzed, mutually exclusive with the 'url' parameter
    """
    url: str | None = None
    """
    URL of a document to be analysed, mutually exclusive with the 'text' parameter
    """


class SentimentResponse(BaseModel):
    """
    Response for the sentiment analysis
    """

    model_config = ConfigDict(
        populate_by_name=True,
    )
    id: str | None = None
    """
    Unique identifier of the document
    """
    language: str
    """
    The used language of the document
    """
    sentiment: float
    """
    Detected sentiment of the document (value from -1.0 to 1.0)
    """
    text: str | None = None
    """
    The raw text of the document which has been analysed
    """


class StatusArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )


class StatusResponse(RootModel[str]):
    root: str


class Extractor9(StrEnum):
    """
    document extractor
    """

    DEFAULT = "default"
    ARTICLE = "article"
    KEEP_EVERYTHING = "keep-everything"


class TopicGetArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    id: str | None = None
    """
    document ID
    """
    text: str | None = None
    """
    raw document text
    """
    url: str | None = None
    """
    document URL
    """
    extractor: Extractor9 | None = None
    """
    document extractor
    """
    language: str | None = None
    """
    document language
    """
    return_text_info: bool | None = Field(default=None, alias="returnTextInfo")


class Extractor10(StrEnum):
    """
    [optional] Text extractor to be used when analyzing HTML document
    """

    DEFAULT = "default"
    ARTICLE = "article"
    KEEP_EVERYTHING = "keep-everything"


class TopicPostArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    extractor: Extractor10 | None = None
    """
    [optional] Text extractor to be used when analyzing HTML document
    """
    id: str | None = None
    """
    Unique identifier of the document, it's optional
    """
    language: str | None = None
    """
    [optional] The language of the document, auto-detection will be used if omitted
    """
    options: dict[str, Any] | None = None
    """
    [optional] Additional options for the internal modules (key-value pairs)
    """
    return_text_info: bool | None = Field(default=None, alias="returnTextInfo")
    """
    [optional] Indicates whether to return the source text within the response object
    """
    text: str | None = None
    """
    The raw text to be analyzed, mutually exclusive with the 'url' parameter
    """
    url: str | None = None
    """
    URL of a document to be analysed, mutually exclusive with the 'text' parameter
    """


class TopicResponse(BaseModel):
    """
    Response for the topic detection
    """

    model_config = ConfigDict(
        populate_by_name=True,
    )
    confidence: float
    """
    Confidence for the detected topic
    """
    id: str | None = None
    """
    Unique identifier of the document
    """
    labels: list[Label]
    """
    Probabilistic distribution over possible topic labels
    """
    language: str
    """
    The used language of the document
    """
    text: str | None = None
    """
    The raw text of the document which has been analysed
    """
    topic: str
    """
    Detected topic of the document
    """


class EntitiesResponse(BaseModel):
    """
    Response for the named-entity recognition
    """

    model_config = ConfigDict(
        populate_by_name=True,
    )
    entities: list[Entity]
    """
    Found named entities in the document
    """
    id: str | None = None
    """
    Unique identifier of the document
    """
    language: str
    """
    The used language of the document
    """
    text: str | None = None
    """
    The raw text of the document which has been analysed
    """

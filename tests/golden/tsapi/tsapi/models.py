from __future__ import annotations

from enum import IntEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, RootModel


class AltLabelMode(IntEnum):
    INTEGER_1 = 1
    INTEGER_2 = 2


class GetSurveysArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )


class GetSurveysBySurveyIdInterviewsArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    survey_id: UUID = Field(..., alias="surveyId")
    start: int | None = None
    max_length: int | None = Field(default=None, alias="maxLength")


class GetSurveysBySurveyIdMetadataArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    survey_id: UUID = Field(..., alias="surveyId")


class Language(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    ident: str | None = None
    name: str | None = None
    sub_languages: list[Language] | None = Field(default=None, alias="subLanguages")


class Level(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    ident: str | None = None


class ParentDetails(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    level: str | None = None
    link_var: str | None = Field(default=None, alias="linkVar")
    ordered: bool | None = None


class ParentRef(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    parent_value_ident: str | None = Field(default=None, alias="parentValueIdent")
    parent_variable_ident: str | None = Field(default=None, alias="parentVariableIdent")


class ParentType(IntEnum):
    INTEGER_1 = 1
    INTEGER_2 = 2
    INTEGER_3 = 3


class SurveyDetail(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    id: UUID | None = None
    name: str | None = None
    title: str | None = None


class UseType(IntEnum):
    INTEGER_1 = 1
    INTEGER_2 = 2
    INTEGER_3 = 3
    INTEGER_4 = 4


class ValueRange(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    from_: str | None = Field(default=None, alias="from")
    to: str | None = None


class VariableType(IntEnum):
    INTEGER_1 = 1
    INTEGER_2 = 2
    INTEGER_3 = 3
    INTEGER_4 = 4
    INTEGER_5 = 5
    INTEGER_6 = 6
    INTEGER_7 = 7
    INTEGER_8 = 8


class AltLabel(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    lang_ident: str | None = Field(default=None, alias="langIdent")
    mode: AltLabelMode | None = None
    text: str | None = None


class DataItem(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    ident: str | None = None
    parent_ident: ParentRef | None = Field(default=None, alias="parentIdent")
    values: list[str] | None = None


class GetSurveysResponse(RootModel[list[SurveyDetail]]):
    root: list[SurveyDetail]


class HierarchicalInterview(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    data_items: list[DataItem] | None = Field(default=None, alias="dataItems")
    hierarchical_interviews: list[HierarchicalInterview] | None = Field(
        default=None, alias="hierarchicalInterviews"
    )
    ident: str | None = None
    level: Level | None = None


class Interview(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    data_items: list[DataItem] | None = Field(default=None, alias="dataItems")
    hierarchical_interviews: list[HierarchicalInterview] | None = Field(
        default=None, alias="hierarchicalInterviews"
    )
    ident: str | None = None


class Label(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    alt_labels: list[AltLabel] | None = Field(default=None, alias="altLabels")
    text: str | None = None


class Value(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    code: str | None = None
    ident: str | None = None
    label: Label | None = None
    score: int | None = None


class VariableValues(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    range: ValueRange | None = None
    values: list[Value] | None = None


class GetSurveysBySurveyIdInterviewsResponse(RootModel[list[Interview]]):
    root: list[Interview]


class Variable(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    ident: str | None = None
    label: Label | None = None
    max_responses: int | None = Field(default=None, alias="maxResponses")
    name: str | None = None
    parent_type: ParentType | None = Field(default=None, alias="parentType")
    questions: list[Variable] | None = None
    type: VariableType | None = None
    use: UseType | None = None
    variable_values: VariableValues | None = Field(default=None, alias="variableValues")


class SurveyMetadataBase(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    interview_count: int | None = Field(default=None, alias="interviewCount")
    languages: list[Language] | None = None
    name: str | None = None
    title: str | None = None
    variables: list[Variable] | None = None


class Hierarchy(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    ident: str | None = None
    metadata: SurveyMetadataBase | None = None
    parent: ParentDetails | None = None


class SurveyMetadata(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    hierarchies: list[Hierarchy] | None = None
    interview_count: int | None = Field(default=None, alias="interviewCount")
    languages: list[Language] | None = None
    name: str | None = None
    title: str | None = None
    variables: list[Variable] | None = None


Language.model_rebuild()
HierarchicalInterview.model_rebuild()
Variable.model_rebuild()

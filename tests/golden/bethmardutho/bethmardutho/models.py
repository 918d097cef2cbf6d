from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, RootModel


class GetLexemeByIdArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    id: str
    """
    The Id of a lexeme from the Sedra database.
    """


class CategoryType(StrEnum):
    """
    The category of the Syriac lexeme or word.
    """

    ADJECTIVE = "adjective"
    ADJECTIVE_OF_PLACE = "adjective of place"
    ADVERB = "adverb"
    ADVERB_ENDING_WITH_AIYT = "adverb ending with aiyt"
    DENOMINATIVE = "denominative"
    IDIOM = "idiom"
    NOUN = "noun"
    NUMERAL = "numeral"
    PARTICIPLE_ADJECTIVE = "participle adjective"
    PARTICLE = "particle"
    PRONOUN = "pronoun"
    PROPER_NOUN = "proper noun"
    SUBSTANTIVE = "substantive"
    VERB = "verb"
    PROPER_NOUN__INDIVIDUAL__039_S_NAME__E_G__EPHREM_ = (
        "proper noun (individual&#039;s name; e.g. Ephrem)"
    )
    PROPER_NOUN__PLACE_NAME_ = "proper noun (place name)"
    PROPER_NOUN__NATIONS__E_G__HUNS_ = "proper noun (nations; e.g. Huns)"
    DEMONYM = "demonym"
    PREPOSITION = "preposition"
    INTERJECTION = "interjection"


class GetWordByIdArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    id: str
    """
    The id parameters must contain either the Id of a word from the Sedra database or a Syriac word in the unicode character set. When the id parameter is a Syriac word it may be consonantal, partially vocalized, or fully vocalized. Fully vocalized Syriac words will have less false positive results than partially vocalized or consonantal Syriac words. When id is the Id of a word from the SEDRA database then that word will be the only word in the result.
    """


class Gender(StrEnum):
    """
    The gender of a Syriac adjective, noun, numeral, pronoun, suffix, or verb.
    """

    COMMON = "common"
    FEMININE = "feminine"
    MASCULINE = "masculine"


class Kaylo(StrEnum):
    """
    The Kaylo or conjugation of a Syriac verb.
    """

    ETTAPHʿAL__PASS__OF_TAPHʿEL_ = "ettaphʿal (pass. of Taphʿel)"
    I_VA = "IVa"
    I_VP = "IVp"
    PʿAL = "pʿal"
    PAʿʿEL = "paʿʿel"
    SHAPHʿEL = "shaphʿel"
    PALPEL = "palpel"
    ETHPAʿʿAL = "ethpaʿʿal"
    APHʿEL = "aphʿel"
    ETTAPHʿAL = "ettaphʿal"
    SAPHʿEL = "saphʿel"
    ETHPʿEL = "ethpʿel"
    P = "p"
    ETHP = "ethp"
    ETHPALPAL = "ethpalpal"
    PAYʿEL = "payʿel"
    ETHPAYʿAL = "ethpayʿal"
    ETHPARʿAL = "ethparʿal"
    ESHTAPHʿAL = "eshtaphʿal"
    ETHPAWʿAL = "ethpawʿal"
    PAWʿEL = "pawʿel"
    PALPAL = "palpal"
    PAMʿEL = "pamʿel"
    TAPHʿEL = "taphʿel"
    PARʿEL = "parʿel"
    ESTAPHʿAL = "estaphʿal"
    ETHPAʿLI = "ethpaʿli"
    PAʿLI = "paʿli"


class Number(StrEnum):
    """
    The number of a Syriac adjective, noun, suffix, or verb.
    """

    PLURAL = "plural"
    SINGULAR = "singular"


class Person(StrEnum):
    """
    The person of a Syriac verb.
    """

    FIRST = "first"
    SECOND = "second"
    THIRD = "third"


class State(StrEnum):
    """
    The state of a Syriac substantive or adjective.
    """

    ABSOLUTE = "absolute"
    EMPHATIC = "emphatic"
    CONSTRUCT = "construct"


class SuffixType(StrEnum):
    """
    The type of suffix attached to the Syriac word.
    """

    CONTRACTION = "contraction"
    SUFFIX = "suffix"


class Tense(StrEnum):
    """
    The tense of a Syriac verb.
    """

    ACTIVE_PARTICIPLE = "active participle"
    IMPERATIVE = "imperative"
    IMPERFECT = "imperfect"
    INFINITIVE = "infinitive"
    PARTICIPLE = "participle"
    PASSIVE_PARTICIPLE = "passive participle"
    PERFECT = "perfect"


class Word(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    id: int
    """
    The SEDRA 'Id' used for referencing this object.
    """
    uri: str
    """
    Full URI of the SEDRA API reference for this object.
    """


class WordIdGetResponses200SchemaItemsPropertiesGender(StrEnum):
    """
    The gender of a Syriac adjective, noun, numeral, pronoun, suffix, or verb.
    """

    COMMON = "common"
    FEMININE = "feminine"
    MASCULINE = "masculine"


class WordIdGetResponses200SchemaItemsPropertiesGlosses(
    RootModel[dict[str, list[str]]]
):
    """
    A hashmap with language name as a key and and array of text strings in that language
    """

    root: dict[str, list[str]]


class WordIdGetResponses200SchemaItemsPropertiesKaylo(StrEnum):
    """
    The Kaylo or conjugation of a Syriac verb.
    """

    ETTAPHʿAL__PASS__OF_TAPHʿEL_ = "ettaphʿal (pass. of Taphʿel)"
    I_VA = "IVa"
    I_VP = "IVp"
    PʿAL = "pʿal"
    PAʿʿEL = "paʿʿel"
    SHAPHʿEL = "shaphʿel"
    PALPEL = "palpel"
    ETHPAʿʿAL = "ethpaʿʿal"
    APHʿEL = "aphʿel"
    ETTAPHʿAL = "ettaphʿal"
    SAPHʿEL = "saphʿel"
    ETHPʿEL = "ethpʿel"
    P = "p"
    ETHP = "ethp"
    ETHPALPAL = "ethpalpal"
    PAYʿEL = "payʿel"
    ETHPAYʿAL = "ethpayʿal"
    ETHPARʿAL = "ethparʿal"
    ESHTAPHʿAL = "eshtaphʿal"
    ETHPAWʿAL = "ethpawʿal"
    PAWʿEL = "pawʿel"
    PALPAL = "palpal"
    PAMʿEL = "pamʿel"
    TAPHʿEL = "taphʿel"
    PARʿEL = "parʿel"
    ESTAPHʿAL = "estaphʿal"
    ETHPAʿLI = "ethpaʿli"
    PAʿLI = "paʿli"


class WordIdGetResponses200SchemaItemsPropertiesNumber(StrEnum):
    """
    The number of a Syriac adjective, noun, suffix, or verb.
    """

    PLURAL = "plural"
    SINGULAR = "singular"


class WordIdGetResponses200SchemaItemsPropertiesPerson(StrEnum):
    """
    The person of a Syriac verb.
    """

    FIRST = "first"
    SECOND = "second"
    THIRD = "third"


class WordIdGetResponses200SchemaItemsPropertiesWord(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    id: int
    """
    The SEDRA 'Id' used for referencing this object.
    """
    uri: str
    """
    Full URI of the SEDRA API reference for this object.
    """


class GetLexemeByIdResponse(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    category_type: CategoryType | None = Field(default=None, alias="categoryType")
    """
    The category of the Syriac lexeme or word.
    """
    etymologies: WordIdGetResponses200SchemaItemsPropertiesGlosses | None = None
    glosses: WordIdGetResponses200SchemaItemsPropertiesGlosses | None = None
    kaylo: WordIdGetResponses200SchemaItemsPropertiesKaylo | None = None
    lexeme: WordIdGetResponses200SchemaItemsPropertiesWord
    root: WordIdGetResponses200SchemaItemsPropertiesWord | None = None
    syriac: str
    """
    Consonantal form of this Syriac lexeme.
    """
    words: list[WordIdGetResponses200SchemaItemsPropertiesWord] | None = None


class GetWordByIdResponseItem(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    eastern: str | None = None
    """
    Eastern vocalized form of this Syriac word.
    """
    gender: Gender | None = None
    """
    The gender of a Syriac adjective, noun, numeral, pronoun, suffix, or verb.
    """
    glosses: dict[str, list[str]] | None = None
    """
    A hashmap with language name as a key and and array of text strings in that language
    """
    has_seyame: bool | None = Field(default=None, alias="hasSeyame")
    """
    Indicator to the presence of a Seyame in this word.
    """
    is_enclitic: bool | None = Field(default=None, alias="isEnclitic")
    """
    Indicator if this Syriac word is an enclitic.
    """
    is_lexical_form: bool | None = Field(default=None, alias="isLexicalForm")
    """
    Indicator if this Syriac word is the lexeme form.
    """
    is_theoretical: bool | None = Field(default=None, alias="isTheoretical")
    """
    Indicator if this Syriac word is theoretical or it is attested.
    """
    kaylo: Kaylo | None = None
    """
    The Kaylo or conjugation of a Syriac verb.
    """
    lexeme: WordIdGetResponses200SchemaItemsPropertiesWord
    number: Number | None = None
    """
    The number of a Syriac adjective, noun, suffix, or verb.
    """
    person: Person | None = None
    """
    The person of a Syriac verb.
    """
    state: State | None = None
    """
    The state of a Syriac substantive or adjective.
    """
    suffix_gender: WordIdGetResponses200SchemaItemsPropertiesGender | None = Field(
        default=None, alias="suffixGender"
    )
    suffix_number: WordIdGetResponses200SchemaItemsPropertiesNumber | None = Field(
        default=None, alias="suffixNumber"
    )
    suffix_person: WordIdGetResponses200SchemaItemsPropertiesPerson | None = Field(
        default=None, alias="suffixPerson"
    )
    suffix_type: SuffixType | None = Field(default=None, alias="suffixType")
    """
    The type of suffix attached to the Syriac word.
    """
    syriac: str
    """
    Consonantal form of this Syriac word.
    """
    tense: Tense | None = None
    """
    The tense of a Syriac verb.
    """
    western: str | None = None
    """
    Western vocalized form of this Syriac word.
    """
    word: Word


class GetWordByIdResponse(RootModel[list[GetWordByIdResponseItem]]):
    root: list[GetWordByIdResponseItem]

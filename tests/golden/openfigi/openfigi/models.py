from __future__ import annotations

from datetime import date
from enum import Enum, StrEnum

from pydantic import BaseModel, ConfigDict, Field, RootModel


class FigiResult(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    composite_figi: str | None = Field(default=None, alias="compositeFIGI")
    exch_code: str | None = Field(default=None, alias="exchCode")
    figi: str | None = None
    market_sector: str | None = Field(default=None, alias="marketSector")
    metadata: str | None = None
    """
    Exists when API is unable to show non-FIGI fields.
    """
    name: str | None = None
    security_description: str | None = Field(default=None, alias="securityDescription")
    security_type: str | None = Field(default=None, alias="securityType")
    security_type2: str | None = Field(default=None, alias="securityType2")
    share_class_figi: str | None = Field(default=None, alias="shareClassFIGI")
    ticker: str | None = None


class Key(StrEnum):
    """
    Key of MappingJob for which to get possible values.
    """

    ID_TYPE = "idType"
    EXCH_CODE = "exchCode"
    MIC_CODE = "micCode"
    CURRENCY = "currency"
    MARKET_SEC_DES = "marketSecDes"
    SECURITY_TYPE = "securityType"
    SECURITY_TYPE2 = "securityType2"


class GetMappingValuesByKeyArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    key: Key
    """
    Key of MappingJob for which to get possible values.
    """


class GetMappingValuesByKeyResponse(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    values: list[str] | None = None


class IdType(StrEnum):
    ID_ISIN = "ID_ISIN"
    ID_BB_UNIQUE = "ID_BB_UNIQUE"
    ID_SEDOL = "ID_SEDOL"
    ID_COMMON = "ID_COMMON"
    ID_WERTPAPIER = "ID_WERTPAPIER"
    ID_CUSIP = "ID_CUSIP"
    ID_BB = "ID_BB"
    ID_ITALY = "ID_ITALY"
    ID_EXCH_SYMBOL = "ID_EXCH_SYMBOL"
    ID_FULL_EXCHANGE_SYMBOL = "ID_FULL_EXCHANGE_SYMBOL"
    COMPOSITE_ID_BB_GLOBAL = "COMPOSITE_ID_BB_GLOBAL"
    ID_BB_GLOBAL_SHARE_CLASS_LEVEL = "ID_BB_GLOBAL_SHARE_CLASS_LEVEL"
    ID_BB_SEC_NUM_DES = "ID_BB_SEC_NUM_DES"
    ID_BB_GLOBAL = "ID_BB_GLOBAL"
    TICKER = "TICKER"
    ID_CUSIP_8_CHR = "ID_CUSIP_8_CHR"
    OCC_SYMBOL = "OCC_SYMBOL"
    UNIQUE_ID_FUT_OPT = "UNIQUE_ID_FUT_OPT"
    OPRA_SYMBOL = "OPRA_SYMBOL"
    TRADING_SYSTEM_IDENTIFIER = "TRADING_SYSTEM_IDENTIFIER"
    ID_CINS = "ID_CINS"
    ID_SHORT_CODE = "ID_SHORT_CODE"
    BASE_TICKER = "BASE_TICKER"
    VENDOR_INDEX_CODE = "VENDOR_INDEX_CODE"


class OptionType(Enum):
    PUT = "Put"
    CALL = "Call"
    NONE_TYPE_NONE = None


class StateCode(Enum):
    AB = "AB"
    AC = "AC"
    AH = "AH"
    AK = "AK"
    AL = "AL"
    AM = "AM"
    AR = "AR"
    AS = "AS"
    AT = "AT"
    AZ = "AZ"
    BC = "BC"
    BJ = "BJ"
    CA = "CA"
    CB = "CB"
    CO = "CO"
    CQ = "CQ"
    CT = "CT"
    CZ = "CZ"
    DC = "DC"
    DE = "DE"
    EH = "EH"
    FH = "FH"
    FI = "FI"
    FJ = "FJ"
    FL = "FL"
    FO = "FO"
    FS = "FS"
    GA = "GA"
    GD = "GD"
    GF = "GF"
    GM = "GM"
    GS = "GS"
    GU = "GU"
    GX = "GX"
    GZ = "GZ"
    HA = "HA"
    HB = "HB"
    HE = "HE"
    HG = "HG"
    HI = "HI"
    HL = "HL"
    HN = "HN"
    HO = "HO"
    HS = "HS"
    IA = "IA"
    ID = "ID"
    IG = "IG"
    IK = "IK"
    IL = "IL"
    IN = "IN"
    IT = "IT"
    JL = "JL"
    JS = "JS"
    JX = "JX"
    KA = "KA"
    KC = "KC"
    KN = "KN"
    KO = "KO"
    KS = "KS"
    KT = "KT"
    KU = "KU"
    KY = "KY"
    LA = "LA"
    LN = "LN"
    MA = "MA"
    MB = "MB"
    MD = "MD"
    ME = "ME"
    MG = "MG"
    MI = "MI"
    MN = "MN"
    MO = "MO"
    MS = "MS"
    MT = "MT"
    MZ = "MZ"
    NB = "NB"
    NC = "NC"
    ND = "ND"
    NE = "NE"
    NG = "NG"
    NH = "NH"
    NJ = "NJ"
    NL = "NL"
    NM = "NM"
    NN = "NN"
    NR = "NR"
    NS = "NS"
    NT = "NT"
    NU = "NU"
    NV = "NV"
    NW = "NW"
    NX = "NX"
    NY = "NY"
    OH = "OH"
    OK = "OK"
    ON = "ON"
    OR = "OR"
    OS = "OS"
    OT = "OT"
    OY = "OY"
    PA = "PA"
    PE = "PE"
    PR = "PR"
    QC = "QC"
    QH = "QH"
    QL = "QL"
    RI = "RI"
    SA = "SA"
    SC = "SC"
    SD = "SD"
    SH = "SH"
    SI = "SI"
    SK = "SK"
    SN = "SN"
    ST = "ST"
    SX = "SX"
    SZ = "SZ"
    TA = "TA"
    TG = "TG"
    TJ = "TJ"
    TK = "TK"
    TN = "TN"
    TS = "TS"
    TT = "TT"
    TX = "TX"
    TY = "TY"
    UT = "UT"
    VA = "VA"
    VI = "VI"
    VT = "VT"
    WA = "WA"
    WI = "WI"
    WK = "WK"
    WV = "WV"
    WY = "WY"
    XJ = "XJ"
    XZ = "XZ"
    YA = "YA"
    YN = "YN"
    YT = "YT"
    YU = "YU"
    ZJ = "ZJ"
    NONE_TYPE_NONE = None


class MappingJobResultFigiList(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    data: list[FigiResult] | None = None


class MappingJobResultFigiNotFound(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    warning: str | None = None


class NullableDateInterval(RootModel[list[date | None] | None]):
    """
    At least one entry should be non-null.
    """

    root: list[date | None] | None = Field(..., max_length=2, min_length=2)
    """
    At least one entry should be non-null.
    """


class NullableNumberInterval(RootModel[list[float | None] | None]):
    """
    At least one entry should be non-null.
    """

    root: list[float | None] | None = Field(..., max_length=2, min_length=2)
    """
    At least one entry should be non-null.
    """


class MappingJob(BaseModel):
    """
    For V3: securityType2 is required when idType is BASE_TICKER or ID_EXCH_SYMBOL.  expiration is required when securityType2 is Option or Warrant.  maturity is required when securityType2 is Pool.
    """

    model_config = ConfigDict(
        populate_by_name=True,
    )
    contract_size: NullableNumberInterval | None = Field(
        default=None, alias="contractSize"
    )
    coupon: NullableNumberInterval | None = None
    currency: str | None = None
    exch_code: str | None = Field(default=None, alias="exchCode")
    expiration: NullableDateInterval | None = None
    id_type: IdType = Field(..., alias="idType")
    id_value: str | int = Field(..., alias="idValue")
    include_unlisted_equities: bool | None = Field(
        default=None, alias="includeUnlistedEquities"
    )
    market_sec_des: str | None = Field(default=None, alias="marketSecDes")
    maturity: NullableDateInterval | None = None
    mic_code: str | None = Field(default=None, alias="micCode")
    option_type: OptionType | None = Field(default=None, alias="optionType")
    security_type: str | None = Field(default=None, alias="securityType")
    security_type2: str | None = Field(default=None, alias="securityType2")
    state_code: StateCode | None = Field(default=None, alias="stateCode")
    strike: NullableNumberInterval | None = None


class MappingJobResult(
    RootModel[MappingJobResultFigiList | MappingJobResultFigiNotFound]
):
    root: MappingJobResultFigiList | MappingJobResultFigiNotFound


class BulkMappingJob(RootModel[list[MappingJob]]):
    root: list[MappingJob]


class BulkMappingJobResult(RootModel[list[MappingJobResult]]):
    root: list[MappingJobResult]


class PostMappingArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    body: BulkMappingJob | None = None
    """
    A list of third-party identifiers and extra filters.
    """

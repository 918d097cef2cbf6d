"""The one place where names from a spec become Python names or tool names.

Spec names are data written by someone else: they may be keywords, start with a digit, contain
non-ASCII letters or nothing usable at all, and two different names may map to the same Python
name. Every generated identifier goes through here so that those cases are handled once and the
result is stable across regenerations (fallbacks hash the original text, collisions get
suffixes in a deterministic order).
"""

from __future__ import annotations

import hashlib
import keyword
import re
import unicodedata
from collections.abc import Iterable

TOOL_NAME_MAX = 64
TOOL_NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
# Longest generated method, constant or class name: `    ) -> models.<64>:` and
# `    async def <64>(` stay well inside a 100-column line, where no layout can break a name.
IDENTIFIER_MAX = 64
# Names pycodestyle calls ambiguous (E741): `l`, `O` and `I` look like `1` and `0`.
AMBIGUOUS_NAMES = frozenset({"l", "O", "I"})

# Split "HTTPServerError" into HTTP / Server / Error and "petId" into pet / Id; digits stay with
# the letters before them ("v2Api" -> v2 / Api) or after them ("2fa").
_WORD_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+[0-9]*|[A-Z]+[0-9]*|[0-9]+[a-z]*")

# Names a generated models.py imports or defines besides the spec's schemas; a schema class with
# one of these names would shadow the import and break the module.
RESERVED_CLASS_NAMES = frozenset(
    {
        "Annotated",
        "Any",
        "AnyUrl",
        "AsyncClient",
        "AwareDatetime",
        "Base64Bytes",
        "Base64Str",
        "BaseModel",
        "Client",
        "ConfigDict",
        "Decimal",
        "Dict",
        "EmailStr",
        "Enum",
        "Field",
        "IPv4Address",
        "IPv4Network",
        "IPv6Address",
        "IPv6Network",
        "IntEnum",
        "Json",
        "List",
        "Literal",
        "NaiveDatetime",
        "Optional",
        "Path",
        "RootModel",
        "SecretStr",
        "StrEnum",
        "UUID",
        "Union",
        "annotations",
    }
)

# Attributes of the runtime's client base classes and of Python objects: an operation method
# with one of these names would override behaviour the client relies on. Names the client
# module uses in annotations are reserved too: a method `list` or `models` would shadow them
# in the signatures of the methods after it.
RESERVED_METHOD_NAMES = frozenset(
    {
        "bool",
        "bytes",
        "date",
        "datetime",
        "dict",
        "float",
        "frozenset",
        "int",
        "list",
        "models",
        "object",
        "set",
        "str",
        "time",
        "timedelta",
        "tuple",
        "type",
        "aclose",
        "auth",
        "base_url",
        "call",
        "client",
        "close",
        "credentials",
        "default_base_url",
        "headers",
        "http",
        "mro",
        "security_schemes",
        "timeout",
    }
)


def short_hash(text: str, length: int = 6) -> str:
    """A stable digest used where a name cannot be derived from the text itself."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def ascii_text(text: str) -> str:
    """`text` with accents folded and other non-ASCII characters dropped."""
    # NFKD splits "é" into "e" + combining accent; dropping the non-ASCII rest keeps "e".
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def split_words(text: str) -> list[str]:
    """The ASCII words of a name, with camelCase and punctuation treated as boundaries."""
    return _WORD_RE.findall(ascii_text(text))


def snake_case(text: str) -> str:
    """`petId` -> `pet_id`; may be empty or start with a digit (see `python_name`)."""
    return "_".join(word.lower() for word in split_words(text))


def pascal_case(text: str) -> str:
    """`pet-status` -> `PetStatus`; words already all upper case (`HTTP`) are kept."""
    return "".join(
        word if word.isupper() and len(word) > 1 else word[:1].upper() + word[1:]
        for word in split_words(text)
    )


def python_name(text: str, *, fallback: str = "name") -> str:
    """A snake_case identifier for `text`; `fallback_<hash>` when nothing usable is left.

    A leading digit gets an `n` (`2fa` -> `n2fa`: a leading underscore would make pydantic
    fields private); keywords get a trailing underscore (`class` -> `class_`), and so does `l`,
    which reads as `1` and `I` (ruff E741 in the user's repository).
    """
    name = snake_case(text)
    if not name:
        return f"{fallback}_{short_hash(text)}"
    if name[0].isdigit():
        name = "n" + name
    if keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in AMBIGUOUS_NAMES:
        name += "_"
    return name


def field_name(text: str) -> str:
    """An ASCII snake_case name for a model field whose wire name cannot be one as it is.

    Non-ASCII letters are folded (`café` -> `cafe`) because Python compares identifiers after
    NFKC normalisation: `ﬁle` and `file` would be one name, a duplicate keyword argument in the
    client. pydantic reserves the `model_` prefix (it warns about such fields, an import error
    under `-W error`), so those names get a `field_` prefix as datamodel-code-generator does for
    names starting with an underscore (`model_dump` -> `field_model_dump`).
    """
    name = python_name(text, fallback="field")
    if name.startswith("model_"):
        name = "field_" + name
    return name


def class_name(text: str, *, fallback: str = "Model") -> str:
    """A PascalCase identifier for `text` without underscores; `Model<HASH>` as a fallback.

    datamodel-code-generator rewrites class names that are not plain PascalCase (it drops
    underscores), so names handed to it must already be in that form to survive unchanged:
    keywords get a `Model` suffix (`None` -> `NoneModel`), a leading digit an `N`.
    """
    name = pascal_case(text)
    if not name:
        return f"{fallback}{short_hash(text).upper()}"
    if name[0].isdigit():
        name = "N" + name
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        name += "Model"
    return name


def tool_name(text: str) -> str:
    """A snake_case name matching ``^[a-zA-Z0-9_-]{1,64}$``; long ones end in a stable hash."""
    name = snake_case(text) or f"tool_{short_hash(text)}"
    if len(name) > TOOL_NAME_MAX:
        name = f"{name[: TOOL_NAME_MAX - 7].rstrip('_')}_{short_hash(text)}"
    return name


def shorten(name: str, max_length: int) -> str:
    """`name` cut at a word boundary to fit `max_length`, ending in a hash of the whole name.

    The hash keeps two long names that share their beginning apart, and the same name always
    gets the same short form. snake_case names are cut at an underscore (`get_a_b_c_1f2e3d`),
    PascalCase ones before a capital (`GetABC1F2E3D`); a name that fits is returned as it is.
    """
    if len(name) <= max_length:
        return name
    digest = short_hash(name)
    snake = "_" in name or name.islower()
    if name.isupper():
        digest = digest.upper()  # an enum member: `BOOKMARK_URL_1F2E3D`
    room = max_length - len(digest) - (1 if snake else 0)
    head = name[:room]
    if snake:
        cut = head.rfind("_")
        head = head[:cut] if cut > 0 else head
        return f"{head.rstrip('_')}_{digest}"
    cut = max((index for index in range(1, room + 1) if name[index].isupper()), default=room)
    return f"{name[:cut]}{digest.upper()}"


class NameTable:
    """Hands out unique names: the first taker keeps a name, later ones get a counter.

    Callers allocate in a stable order (spec order or sorted), so the same inputs always give
    the same names. Counters are joined with `separator` (`pet_2` for snake_case, `Pet2` for
    classes). A wanted name that is reserved gets `reserved_suffix` first (`close` ->
    `close_`, `BaseModel` -> `BaseModelModel`).
    """

    def __init__(
        self,
        reserved: Iterable[str] = (),
        *,
        max_length: int | None = None,
        separator: str = "_",
        reserved_suffix: str = "_",
    ) -> None:
        self._taken: set[str] = set(reserved)
        self._reserved = frozenset(self._taken)
        self._max_length = max_length
        self._separator = separator
        self._reserved_suffix = reserved_suffix

    def __contains__(self, name: object) -> bool:
        return name in self._taken

    def take(self, wanted: str) -> str:
        if wanted in self._reserved:
            wanted += self._reserved_suffix
        if self._max_length is not None:
            wanted = shorten(wanted, self._max_length)
        name = wanted
        counter = 1
        while name in self._taken:
            counter += 1
            suffix = f"{self._separator}{counter}"
            if self._max_length is not None:
                name = wanted[: self._max_length - len(suffix)] + suffix
            else:
                name = wanted + suffix
        self._taken.add(name)
        return name

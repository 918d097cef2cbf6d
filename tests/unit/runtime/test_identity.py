"""Identity.verified: only the host's explicit flag verifies, and records name fingerprints."""

from __future__ import annotations

import pytest
from specagent_runtime import Identity
from specagent_runtime._identity import (
    ANONYMOUS,
    fingerprint,
    identity_fields,
    identity_from_fields,
    verified_identity,
)

ADA = Identity(email="ada@example.com", verified=True)


def test_an_identity_is_a_claim_unless_the_host_says_verified() -> None:
    claim = Identity(email="ada@example.com")
    assert claim.verified is False
    assert verified_identity(claim) is None
    assert identity_fields(claim) == {}  # a task run started with it has no owner to bind
    assert verified_identity(ADA) is ADA
    assert identity_fields(ADA) == {"email": "ada@example.com"}


def test_extra_attributes_never_verify() -> None:
    assert verified_identity(Identity(extra={"locale": "de"})) is None
    assert verified_identity(Identity(extra={"verified": "true"})) is None


def test_the_flag_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match="verified must be a bool"):
        Identity(email="ada@example.com", verified="false")  # type: ignore[arg-type]


def test_verified_and_claimed_identities_differ() -> None:
    claim = Identity(email="ada@example.com")
    assert claim != ADA
    assert len({claim, ADA}) == 2
    assert claim.fingerprint != ADA.fingerprint


def test_the_fingerprint_is_stable_and_names_no_value() -> None:
    again = Identity(email="ada@example.com", verified=True)
    assert ADA.fingerprint == again.fingerprint == fingerprint(again)
    assert "ada" not in ADA.fingerprint
    assert ADA.fingerprint.startswith("v-")
    assert Identity(email="ada@example.com").fingerprint.startswith("c-")
    grace = Identity(email="grace@example.com", verified=True)
    assert grace.fingerprint != ADA.fingerprint
    with_id = Identity(email="ada@example.com", customer_id="7", verified=True)
    assert with_id.fingerprint != ADA.fingerprint


def test_no_identity_and_an_empty_one_are_anonymous() -> None:
    assert fingerprint(None) == ANONYMOUS
    assert Identity(verified=True).fingerprint == ANONYMOUS
    assert verified_identity(Identity(verified=True)) is None


def test_the_repr_shows_the_flag_but_no_value() -> None:
    assert repr(ADA) == "Identity(fields=['email'], verified=True)"


def test_flat_fields_say_whether_they_are_verified() -> None:
    made = identity_from_fields({"email": "ada@example.com", "plan": "gold"}, verified=True)
    assert made == Identity(email="ada@example.com", extra={"plan": "gold"}, verified=True)
    claimed = identity_from_fields({"email": "ada@example.com"}, verified=False)
    assert claimed is not None and not claimed.verified
    assert identity_from_fields({"email": ""}, verified=True) is None

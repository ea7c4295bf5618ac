"""Refresh tokens at rest: AES-GCM, key ids, rotation, tamper detection."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.config import KeyVersion
from functions.crypto import TokenCipher, TokenDecryptError

OLD, NEW = KeyVersion("1", b"\x01" * 32), KeyVersion("2", b"\x02" * 32)


@given(st.text(min_size=1, max_size=300), st.text(max_size=40))
def test_round_trip(plaintext: str, aad: str) -> None:
    cipher = TokenCipher([NEW, OLD])
    assert cipher.decrypt(cipher.encrypt(plaintext, aad), aad) == plaintext


def test_ciphertext_hides_the_token_and_names_the_newest_key() -> None:
    sealed = TokenCipher([NEW, OLD]).encrypt("1//refresh-token", "b:r")
    assert sealed["kid"] == "2"
    assert "refresh" not in str(sealed)
    assert TokenCipher([NEW]).encrypt("x", "a") != TokenCipher([NEW]).encrypt("x", "a")  # fresh nonce


def test_rotation_old_ciphertexts_still_decrypt_new_ones_use_the_new_key() -> None:
    sealed_old = TokenCipher([OLD]).encrypt("token", "b:r")
    rotated = TokenCipher([NEW, OLD])
    assert rotated.decrypt(sealed_old, "b:r") == "token"
    assert rotated.needs_rotation(sealed_old)
    assert not rotated.needs_rotation(rotated.encrypt("token", "b:r"))


def test_disabled_key_version_cannot_decrypt() -> None:
    sealed_old = TokenCipher([OLD]).encrypt("token", "b:r")
    with pytest.raises(TokenDecryptError, match="not enabled"):
        TokenCipher([NEW]).decrypt(sealed_old, "b:r")


def _flip(b64: str, index: int) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[index % len(raw)] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize("field", ["ct", "nonce"])
@pytest.mark.parametrize("index", [0, 5, -1])
def test_tampering_is_rejected(field: str, index: int) -> None:
    cipher = TokenCipher([NEW])
    sealed = cipher.encrypt("token", "b:r")
    sealed[field] = _flip(sealed[field], index)
    with pytest.raises(TokenDecryptError):
        cipher.decrypt(sealed, "b:r")


def test_a_token_moved_to_another_link_does_not_decrypt() -> None:
    cipher = TokenCipher([NEW])
    sealed = cipher.encrypt("token", "berlin:anna")
    with pytest.raises(TokenDecryptError):
        cipher.decrypt(sealed, "berlin:raum-1")


@pytest.mark.parametrize("sealed", [{}, {"kid": "2"}, {"kid": "2", "nonce": "!!", "ct": "??"}])
def test_malformed_sealed_values_are_rejected(sealed: dict) -> None:
    with pytest.raises(TokenDecryptError):
        TokenCipher([NEW]).decrypt(sealed, "b:r")


# --- found by `make mutation` ----------------------------------------------------------------

def test_a_cipher_needs_a_key() -> None:
    with pytest.raises(ValueError, match="key version"):
        TokenCipher([])


def test_the_nonce_is_96_bits_fresh_for_each_token() -> None:
    # NIST SP 800-38D: 96-bit IVs for GCM; any other length goes through GHASH first.
    cipher = TokenCipher([NEW])
    nonces = {cipher.encrypt("token", "b:r")["nonce"] for _ in range(20)}
    assert len(nonces) == 20
    assert {len(base64.b64decode(n)) for n in nonces} == {12}


def test_a_disabled_key_version_is_named_in_the_error() -> None:
    # docs/operations.md: an old version may go once no token needs it; this error says which one.
    sealed_old = TokenCipher([OLD]).encrypt("token", "b:r")
    with pytest.raises(TokenDecryptError, match=r"^key version '1' is not enabled$"):
        TokenCipher([NEW]).decrypt(sealed_old, "b:r")

import base64

import pytest

from laddhub.ocpi.auth import (
    MalformedAuthorization,
    authorization_header,
    candidate_tokens,
    digests_match,
    generate_token,
    hash_token,
    is_valid_token,
)


def test_header_is_base64_for_2_2_1_and_plain_for_2_1_1() -> None:
    assert authorization_header("example-token", "2.2.1") == "Token ZXhhbXBsZS10b2tlbg=="
    assert authorization_header("example-token", "2.1.1") == "Token example-token"
    assert authorization_header("example-token", "2.2.1", force_plain=True) == "Token example-token"


def test_candidates_include_raw_and_decoded_token() -> None:
    assert candidate_tokens("Token ZXhhbXBsZS10b2tlbg==") == ["ZXhhbXBsZS10b2tlbg==", "example-token"]
    assert candidate_tokens("Token example-token") == ["example-token"]


def test_spec_example_with_encoded_trailing_newline_decodes_to_the_token() -> None:
    assert candidate_tokens("Token ZXhhbXBsZS10b2tlbgo=")[-1] == "example-token"


def test_scheme_is_case_insensitive_and_padding_may_be_missing() -> None:
    assert "example-token" in candidate_tokens("token ZXhhbXBsZS10b2tlbg")


@pytest.mark.parametrize("header", [None, "", "Bearer abc", "Token", "Token   "])
def test_malformed_headers_are_rejected(header: str | None) -> None:
    with pytest.raises(MalformedAuthorization):
        candidate_tokens(header)


def test_generated_tokens_are_valid_unique_and_hash_stably() -> None:
    tokens = {generate_token() for _ in range(100)}
    assert len(tokens) == 100
    token = tokens.pop()
    assert is_valid_token(token)
    assert hash_token(token) == hash_token(token)
    assert len(hash_token(token)) == 64
    assert digests_match(hash_token(token), hash_token(token))
    assert not digests_match(hash_token(token), hash_token(token + "x"))


def test_token_validity_rules() -> None:
    assert is_valid_token("a" * 64)
    assert not is_valid_token("a" * 65)
    assert not is_valid_token("with space")
    assert not is_valid_token("")
    assert not is_valid_token("tab\t")


def test_decoded_value_with_binary_content_is_not_a_candidate() -> None:
    binary = base64.b64encode(b"\x00\x01\x02").decode()
    assert candidate_tokens(f"Token {binary}") == [binary]

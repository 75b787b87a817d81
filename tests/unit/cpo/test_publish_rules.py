"""Which tokens a `publish_allowed_to` entry admits: every field the entry sets must match (digest §5.4)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from laddhub.ocpi.v2_2_1.locations import Location, PublishTokenType
from laddhub.ocpi.v2_2_1.tokens import Token
from laddhub.services.location_audience import allows, merge_audiences, token_matches
from tests.unit.ocpi import builders


def token(**changes: Any) -> Token:
    return Token.model_validate(builders.token(**changes))


def rule(**fields: Any) -> PublishTokenType:
    return PublishTokenType.model_validate(fields)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"uid": "012345678", "type": "RFID"}, True),
        ({"uid": "012345678", "type": "APP_USER"}, False),
        ({"uid": "abc", "type": "RFID"}, False),
        ({"group_id": "fleet-1"}, True),
        ({"group_id": "FLEET-2"}, False),
        ({"visual_number": "DF000-2001-8999", "issuer": "TheNewMotion"}, True),
        ({"visual_number": "DF000-2001-8999", "issuer": "Someone else"}, False),
        ({"uid": "012345678", "type": "RFID", "group_id": "FLEET-2"}, False),
    ],
)
def test_an_entry_matches_only_when_every_field_it_sets_matches(
    entry: dict[str, str], expected: bool
) -> None:
    driver = token(group_id="FLEET-1", visual_number="DF000-2001-8999")
    assert token_matches(rule(**entry), driver) is expected


def test_a_group_rule_does_not_match_a_token_without_a_group() -> None:
    assert not token_matches(rule(group_id="FLEET-1"), token())


def test_a_published_location_is_for_everyone_and_an_unpublished_one_for_matching_tokens() -> None:
    public = Location.model_validate(builders.location())
    private = Location.model_validate(
        builders.location(
            publish=False, publish_allowed_to=[{"uid": "other", "type": "RFID"}, {"group_id": "G"}]
        )
    )
    assert allows(public, token())
    assert allows(private, token(group_id="g"))
    assert not allows(private, token())


parties = st.frozensets(st.tuples(st.sampled_from(["NL", "DE"]), st.sampled_from(["AAA", "BBB", "CCC"])))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.none(), parties), max_size=4))
def test_merged_audiences_are_everyone_if_any_is_else_the_union(
    audiences: list[frozenset[tuple[str, str]] | None],
) -> None:
    merged = merge_audiences(*audiences)
    if any(audience is None for audience in audiences):
        assert merged is None
    else:
        assert merged == frozenset().union(*[a for a in audiences if a is not None])

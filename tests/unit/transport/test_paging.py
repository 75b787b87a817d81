from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from laddhub.ocpi.paging import page_headers, parse_link_next, parse_page_request
from laddhub.ocpi.status import InvalidParameters


def test_limit_is_capped_at_server_maximum_and_x_limit_reports_it() -> None:
    page = parse_page_request({"limit": "2000"}, max_limit=100)
    assert page.limit == 100
    headers = page_headers("http://x/ocpi/2.2.1/locations?limit=2000", page, total=250, returned=100)
    assert headers["X-Limit"] == "100"
    assert headers["X-Total-Count"] == "250"


def test_link_next_repeats_filters_with_next_offset() -> None:
    page = parse_page_request(
        {
            "date_from": "2019-01-01T00:00:00Z",
            "date_to": "2019-02-01T00:00:00Z",
            "offset": "10",
            "limit": "5",
        },
        max_limit=100,
    )
    url = "http://x/loc?date_from=2019-01-01T00:00:00Z&date_to=2019-02-01T00:00:00Z&offset=10&limit=5"
    link = page_headers(url, page, total=30, returned=5)["Link"]
    following = parse_link_next(link)
    assert following is not None
    query = parse_qs(urlsplit(following).query)
    assert query == {
        "date_from": ["2019-01-01T00:00:00Z"],
        "date_to": ["2019-02-01T00:00:00Z"],
        "offset": ["15"],
        "limit": ["5"],
    }


def test_last_page_has_no_link() -> None:
    page = parse_page_request({"offset": "20", "limit": "10"}, max_limit=100)
    assert "Link" not in page_headers("http://x/l?offset=20&limit=10", page, total=30, returned=10)


def test_dates_accept_offsets_and_missing_zone_as_utc() -> None:
    page = parse_page_request(
        {"date_from": "2019-01-01T01:00:00+01:00", "date_to": "2019-01-02T00:00:00"}, max_limit=10
    )
    assert page.date_from == datetime(2019, 1, 1, tzinfo=UTC)
    assert page.date_to == datetime(2019, 1, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"offset": "-1"}, "offset"),
        ({"limit": "ten"}, "limit"),
        ({"date_from": "yesterday"}, "date_from"),
        ({"date_from": "2019-02-01T00:00:00Z", "date_to": "2019-01-01T00:00:00Z"}, "date_to"),
    ],
)
def test_bad_parameters_are_2001_naming_the_field(params: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidParameters) as caught:
        parse_page_request(params, max_limit=10)
    assert caught.value.message.startswith(field)


def test_date_from_can_be_required() -> None:
    with pytest.raises(InvalidParameters, match="date_from"):
        parse_page_request({}, max_limit=10, require_date_from=True)


def test_link_parser_tolerates_spacing_and_other_relations() -> None:
    header = '<http://a/prev>; rel="prev", <http://a/next?offset=5> ;rel=next'
    assert parse_link_next(header) == "http://a/next?offset=5"
    assert parse_link_next(None) is None

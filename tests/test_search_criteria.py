"""The listings' query parameters (`query`, `orderBy`, `descending`, `count`, `offset`): what
`criteria_of` makes of them, and what the stores find with them. Both stores find the same
rows; anything the mock does not understand is a 400 `uforgeError` that says what is allowed,
never a 500 nor a silent empty page."""

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.requests import Request

from tests.conftest import GUEST, seed
from tests.xmlcheck import assert_valid_uforge_xml
from uforge_mock.api.search import MAX_CONDITIONS, MAX_COUNT, MAX_QUERY_LENGTH, criteria_of
from uforge_mock.store.library import (
    CATEGORY_COLUMNS,
    MY_SOFTWARE_COLUMNS,
    Condition,
    Criteria,
)
from uforge_mock.wire.errors import BadRequest

JSON = {"Accept": "application/json"}
LIBRARY = "/api/users/guest/mysoftware"


def criteria(columns: dict[str, Any] = MY_SOFTWARE_COLUMNS, **params: str) -> Criteria:
    scope = {"type": "http", "query_string": urlencode(params).encode(), "headers": []}
    return criteria_of(Request(scope), columns)


def refusal_of(columns: dict[str, Any], **params: str) -> BadRequest:
    with pytest.raises(BadRequest) as refused:
        criteria(columns, **params)
    return refused.value


def refusal(**params: str) -> BadRequest:
    return refusal_of(MY_SOFTWARE_COLUMNS, **params)


# ---------------------------------------------------------------- criteria_of


def test_no_parameters_ask_for_the_first_page_by_id() -> None:
    assert criteria() == Criteria(count=MAX_COUNT)


@pytest.mark.parametrize(
    ("query", "value"),
    [
        ("name=='Zab*'", "Zab*"),
        ('name=="Zab*"', "Zab*"),
        ("name==Zab*", "Zab*"),
        ("  name  ==  'Zab*'  ", "Zab*"),
        ("name==''", ""),
        ("name=='it''s'", "it''s"),
        ("name=='a", "'a"),
    ],
)
def test_a_condition_reads_quoted_or_bare_values(query: str, value: str) -> None:
    assert criteria(query=query).conditions == (Condition(column="name", value=value),)


def test_not_equal_negates_and_semicolons_join() -> None:
    found = criteria(query="name!='Zabbix';version=='1';;").conditions
    assert found == (
        Condition(column="name", value="Zabbix", negated=True),
        Condition(column="version", value="1"),
    )


def test_a_blank_query_has_no_condition() -> None:
    assert criteria(query="  ").conditions == ()


def test_numbers_and_dates_are_read_as_such() -> None:
    found = criteria(
        query="dbId==918;size!=-1;created=='2019-06-05T23:40:12.000+02:00';lastModified==2019-06-05"
    ).conditions
    assert [c.value for c in found] == [
        918,
        -1,
        datetime(2019, 6, 5, 21, 40, 12, tzinfo=UTC),
        datetime(2019, 6, 5, tzinfo=UTC),
    ]


def test_page_order_and_direction() -> None:
    found = criteria(orderBy="name", descending="TRUE", count="1", offset="5")
    assert found == Criteria(order_by="name", descending=True, count=1, offset=5)
    assert criteria(descending="false").descending is False
    assert criteria(count=str(MAX_COUNT)).count == MAX_COUNT
    assert criteria(offset="0").offset == 0


@pytest.mark.parametrize("name", ["descending", "count", "offset"])
def test_an_empty_typed_parameter_is_refused(name: str) -> None:
    # The document types them as a boolean or an integer: `count=` is a mistake to name.
    assert refusal(**{name: ""}).parameters == [name]


def test_category_fields_are_their_own() -> None:
    assert criteria(CATEGORY_COLUMNS, query="type=='PROJECT'").conditions == (
        Condition(column="type", value="PROJECT"),
    )
    assert refusal_of(CATEGORY_COLUMNS, query="version=='1'").parameters == ["version"]


def test_an_unknown_search_field_names_the_allowed_ones() -> None:
    error = refusal(query="password=='x'")
    assert error.parameters == ["password"]
    for field in MY_SOFTWARE_COLUMNS:
        assert field in error.message


def test_an_unknown_order_names_the_allowed_ones() -> None:
    error = refusal(orderBy="password")
    assert error.parameters == ["password"]
    for field in MY_SOFTWARE_COLUMNS:
        assert field in error.message


BAD_PARAMETERS: list[tuple[dict[str, str], str]] = [
    ({"count": "0"}, "count"),
    ({"count": "5000"}, "count"),
    ({"count": str(MAX_COUNT + 1)}, "count"),
    ({"count": "-1"}, "count"),
    ({"count": "abc"}, "count"),
    ({"count": "1.5"}, "count"),
    ({"count": "+5"}, "count"),
    ({"count": "\uff15"}, "count"),  # a full-width 5: a digit, not ASCII
    ({"count": "9" * 40}, "count"),
    ({"offset": "-1"}, "offset"),
    ({"offset": "x"}, "offset"),
    ({"offset": str(2**53 + 1)}, "offset"),
    ({"descending": "maybe"}, "descending"),
    ({"descending": "1"}, "descending"),
    ({"descending": "yes"}, "descending"),
    ({"query": "dbId==abc"}, "dbId"),
    ({"query": "dbId==9*"}, "dbId"),
    ({"query": "dbId==1.5"}, "dbId"),
    ({"query": f"dbId=={2**63}"}, "dbId"),
    ({"query": "size==''"}, "size"),
    ({"query": "created=='yesterday'"}, "created"),
    ({"query": "created=='2019-*'"}, "created"),
    ({"query": "created=='0001-01-01T00:00:00+01:00'"}, "created"),
    ({"query": "name=='a\x00b'"}, "name"),
    ({"query": "name=='\x01'"}, "name"),
]


@pytest.mark.parametrize(
    ("params", "parameter"), BAD_PARAMETERS, ids=[urlencode(p) for p, _ in BAD_PARAMETERS]
)
def test_a_bad_parameter_is_a_400_naming_it(params: dict[str, str], parameter: str) -> None:
    assert refusal(**params).parameters[0] == parameter


@pytest.mark.parametrize(
    "query",
    ["name", "name='x'", "=='x'", "name<'x'", "name=~'x'"],
)
def test_a_condition_that_is_no_comparison_is_a_400(query: str) -> None:
    assert "field==value" in refusal(query=query).message


def test_too_many_conditions_or_too_long_a_query_is_a_400() -> None:
    many = ";".join(["name=='x'"] * (MAX_CONDITIONS + 1))
    assert str(MAX_CONDITIONS) in refusal(query=many).message
    long = "name=='" + "x" * MAX_QUERY_LENGTH + "'"
    assert str(MAX_QUERY_LENGTH) in refusal(query=long).message
    assert len(criteria(query=";".join(["name=='x'"] * MAX_CONDITIONS)).conditions) == (
        MAX_CONDITIONS
    )


# ---------------------------------------------------------------- through HTTP, on each store


def add_software(app: FastAPI, db_id: int, name: str, **values: Any) -> None:
    seed(app, {"mySoftware": [{"dbId": db_id, "owner": "guest", "name": name, **values}]})


def found(client: TestClient, **params: Any) -> list[int]:
    response = client.get(LIBRARY, params=params, headers={**GUEST, **JSON})
    assert response.status_code == 200, response.text
    page = response.json()["mySoftwareList"]
    return [item["dbId"] for item in page["mySoftwareList"]["mySoftware"]]


@pytest.fixture
def names(app: FastAPI, client: TestClient) -> None:
    """guest's library: 918 Zabbix, 920 Doomed, and names full of pattern characters."""
    add_software(app, 1001, "50%_off", description="sale", size=10)
    add_software(app, 1002, "50xyoff", size=20)
    add_software(app, 1003, "zabbix-lower")
    add_software(app, 1004, "a?b[c]*", size=30)
    add_software(app, 1005, "back\\slash")


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ("name=='Zab*'", [918]),
        ("name=='zab*'", [1003]),
        ("name=='*abbix*'", [918, 1003]),
        ("name=='ZABBIX'", []),
        ("name=='50%_*'", [1001]),
        ("name=='50*off'", [1001, 1002]),
        ("name=='5_x*'", []),
        ("name=='a?b[c]*'", [1004]),
        ("name=='a?b*'", [1004]),
        ("name=='axb*'", []),
        ("name=='back\\slash'", [1005]),
        ("name=='back\\*'", [1005]),
        ("name!='*0*'", [918, 920, 1003, 1004, 1005]),
        ("description!='sale'", [918, 920, 1002, 1003, 1004, 1005]),
        ("description=='sale';size==10", [1001]),
        ("dbId==918", [918]),
        ("dbId!=918;size==0", [920, 1003, 1005]),
        ("size==20", [1002]),
        ("created=='2019-06-05T21:40:12.000Z';name=='Z*'", [918]),
        ("created=='2019-06-05T23:40:12+02:00';dbId==920", [920]),
        ("created=='2020-01-01T00:00:00Z'", []),
    ],
)
def test_both_stores_find_the_same_rows(
    client: TestClient, names: None, query: str, ids: list[int]
) -> None:
    assert found(client, query=query) == ids


@pytest.mark.parametrize("field", sorted(MY_SOFTWARE_COLUMNS))
def test_every_field_orders_the_list(client: TestClient, names: None, field: str) -> None:
    ascending = found(client, orderBy=field)
    descending = found(client, orderBy=field, descending="true")
    assert sorted(ascending) == sorted(descending) == [918, 920, 1001, 1002, 1003, 1004, 1005]


def test_order_by_size_then_by_ascending_id(client: TestClient, names: None) -> None:
    assert found(client, orderBy="size") == [918, 920, 1003, 1005, 1001, 1002, 1004]
    assert found(client, orderBy="size", descending="true") == [
        1004,
        1002,
        1001,
        918,
        920,
        1003,
        1005,
    ]


def test_pages_neither_overlap_nor_skip(client: TestClient, names: None) -> None:
    pages = [found(client, orderBy="size", count=2, offset=offset) for offset in (0, 2, 4, 6)]
    assert [item for page in pages for item in page] == found(client, orderBy="size")


@pytest.mark.parametrize(
    "params",
    [
        {"count": "0"},
        {"count": "5000"},
        {"offset": "-1"},
        {"descending": "maybe"},
        {"orderBy": "password"},
        {"query": "password=='x'"},
        {"query": "dbId=='abc'"},
        {"query": "created=='abc'"},
        {"query": "name=='\x00'"},
        {"query": "size=='9*'"},
        {"query": "nonsense"},
    ],
    ids=lambda params: urlencode(params),
)
def test_a_bad_listing_parameter_is_a_400_uforge_error(
    client: TestClient, params: dict[str, str]
) -> None:
    as_json = client.get(LIBRARY, params=params, headers={**GUEST, **JSON})
    assert as_json.status_code == 400
    error = as_json.json()["uforgeError"]
    assert error["statusCode"] == 400 and error["requestUri"] == LIBRARY
    as_xml = client.get(LIBRARY, params=params, headers=GUEST)
    assert as_xml.status_code == 400
    assert_valid_uforge_xml(as_xml.content, "uforgeError")


def test_an_unknown_search_field_names_the_allowed_ones_over_http(client: TestClient) -> None:
    response = client.get(LIBRARY, params={"query": "owner=='x'"}, headers={**GUEST, **JSON})
    message = response.json()["uforgeError"]["localizedErrorMsg"]["message"]
    assert "owner" in message
    assert all(field in message for field in MY_SOFTWARE_COLUMNS)


def test_a_bad_parameter_comes_after_the_checks_of_the_caller(client: TestClient) -> None:
    assert client.get(LIBRARY, params={"count": "0"}).status_code == 401
    other = client.get("/api/users/other/mysoftware", params={"count": "0"}, headers=GUEST)
    assert other.status_code == 403


def test_an_unacceptable_accept_is_406_before_the_query_is_read(client: TestClient) -> None:
    response = client.get(LIBRARY, params={"count": "0"}, headers={**GUEST, "Accept": "text/csv"})
    assert response.status_code == 406
    assert_valid_uforge_xml(response.content, "uforgeError")


def test_categories_refuse_an_unknown_field_or_a_bad_page(app: FastAPI, client: TestClient) -> None:
    names = (("Web", "PROJECT"), ("web", "PROJECT"), ("Linux", "TEMPLATE"))
    org = {"name": "Acme", "dbId": 7, "categories": [{"name": n, "type": t} for n, t in names]}
    seed(app, {"orgs": [org]})
    path = "/api/orgs/7/categories"
    for params in ({"query": "owner=='x'"}, {"count": "0"}, {"query": "dbId=='x'"}):
        response = client.get(path, params=params, headers=JSON)
        assert response.status_code == 400, params
        assert response.json()["uforgeError"]["statusCode"] == 400
    listed = client.get(path, params={"query": "name=='W*'"}, headers=JSON).json()["categories"]
    assert [c["name"] for c in listed["categories"]["category"]] == ["Web"]
    page = client.get(path, params={"orderBy": "name", "count": 1, "offset": 1}, headers=JSON)
    assert page.json()["categories"]["total"] == 3
    refused = client.get(path, params={"count": "0"}, headers={"Accept": "text/csv"})
    assert refused.status_code == 406

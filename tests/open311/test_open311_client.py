"""Open311 as a partner sees it: a published GeoReport v2 client library (georeport 0.3.1)
against the real server, in both formats.

georeport lists services, reads definitions and requests; it does not create requests (its
README says so) and sends no key on reads. The Python 3 clients that do post (three, open311)
are Python 2 code and do not import on 3.11, so the POST here is the spec's form-encoded request
made with `requests`, and reads carry the key in the endpoint URL (HTTP Basic), which the
library passes through unchanged.
"""

from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from georeport import GeoReport

from services.apikeys import api as apikeys
from tests.helpers import all_cases

pytestmark = pytest.mark.django_db(transaction=True)

JURISDICTION = "wenling-demo"


def keyed(url: str, key: str) -> str:
    """The endpoint URL with the key as its user name and no password (sent as HTTP Basic;
    requests needs the colon to read the credentials)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{key}:@{parts.netloc}"))


def test_a_partner_lists_reads_posts_and_reads_back_with_the_client_library(
    live_server, demo, user_named
):
    endpoint = f"{live_server.url}/open311/v2"
    _key, key = apikeys.create_key(
        demo.pk,
        "市 12345 热线",
        [apikeys.CASES_SUBMIT, apikeys.CASES_READ],
        user_named("dispatcher").pk,
    )
    public = GeoReport(endpoint, jurisdiction=JURISDICTION)

    services = public.get_service_list()
    assert "campus" in [s["service_code"] for s in services]
    definition = public.get_service_definition("campus")
    issue_type = next(a for a in definition["attributes"] if a["code"] == "issue_type")
    assert issue_type["datatype"] == "singlevaluelist" and issue_type["required"] is True

    # Without a key the library gets the spec's error (and raises on its status).
    with pytest.raises(requests.HTTPError) as refused:
        public.get_service_requests()
    assert refused.value.response.status_code == 401
    assert refused.value.response.json()[0]["code"] == 401

    response = requests.post(
        f"{endpoint}/requests.json",
        data={
            "api_key": key,
            "jurisdiction_id": JURISDICTION,
            "service_code": "campus",
            "lat": "28.3701",
            "long": "121.3802",
            "description": "校门口斑马线褪色，上下学时段车辆不减速。",
            "attribute[school]": "新河镇中心小学",
            "attribute[issue_type]": "周边交通",
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text
    number = response.json()[0]["service_request_id"]
    assert number == all_cases()[0].tracking_number

    partner = GeoReport(keyed(endpoint, key), jurisdiction=JURISDICTION)
    request = partner.get_service_request(number)
    assert request["service_request_id"] == number
    assert request["status"] == "open" and request["service_code"] == "campus"
    assert (request["lat"], request["long"]) == (28.3701, 121.3802)
    listed = partner.get_service_requests(service_code="campus", status="open")
    assert [r["service_request_id"] for r in listed] == [number]

    as_xml = GeoReport(keyed(endpoint, key), jurisdiction=JURISDICTION, output_format="xml")
    codes = [s["service_code"] for s in as_xml.get_service_list()]
    assert codes[-1] == "campus"
    attributes = as_xml.get_service_definition("campus")["attributes"]["attribute"]
    assert [a["code"] for a in attributes] == ["school", "issue_type"]
    request = as_xml.get_service_request(number)
    assert request["service_request_id"] == number and request["status"] == "open"
    assert request["lat"] == "28.3701"

"""Schemathesis generates requests from our OpenAPI schema and checks every answer against it: no 500, documented
status codes, bodies that match their declared schemas — for Salé's host and for the national landing host."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from jamaa.api.api import api
from jamaa.wsgi import application

schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1"))


@pytest.mark.parametrize("host", ["sale.localhost", "localhost"])
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_schema(case, host, world):
    case.call_and_validate(app=application, headers={"Host": host})

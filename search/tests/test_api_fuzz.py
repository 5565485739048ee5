"""Schemathesis against the API's own OpenAPI schema, in this process (WSGI), signed in with a token.

A bounded number of generated requests per operation, the same ones on every run: none may get a 5xx,
an answer the schema does not describe, or a status code the schema does not declare.
"""

import pytest
import schemathesis
import torch
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from accounts.models import ApiToken
from photosearch.wsgi import application

EXAMPLES_PER_OPERATION = 25

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture
def token(ana, settings):
    settings.THROTTLE_RATES = settings.THROTTLE_RATES | {"search": (10_000, 60)}  # the fuzzing is not the test here
    # As Django's test client does: the end of a request must not close the test's connection (and transaction).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    # Hypothesis refuses to draw floats while torch flushes denormals (search.ml.runtime), process-wide.
    torch.set_flush_denormal(False)
    yield {"Authorization": f"Bearer {ApiToken.issue(user=ana, name='fuzzing')[1]}"}
    torch.set_flush_denormal(True)
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,  # the same examples every run: nothing to remember between runs
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_answer_is_one_the_schema_declares(case, token):
    # Bytes the schema calls a file are rarely a photo: refusing them (400, with a sentence) is right.
    uploads = case.operation.path == "/api/search/by-image"
    case.call_and_validate(headers=token, excluded_checks=[positive_data_acceptance] if uploads else None)

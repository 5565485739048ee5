import pytest
from django.contrib.auth import get_user_model
from openapi_spec_validator import validate

from accounts.models import ApiToken
from jobs.models import Job
from profiles.models import Photo, Tracking
from profiles.tests.factories import make_profile
from search.types import MAX_QUERY_LENGTH

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(ana):
    _, key = ApiToken.issue(user=ana, name="script")
    return {"Authorization": f"Bearer {key}"}


def test_it_searches_with_a_token(client, token):
    body = client.get("/api/search", {"q": "boat at sunset"}, headers=token).json()
    assert body["results"][0]["post"] == "Boat"
    assert body["results"][0]["permalink"] == "https://www.instagram.com/p/Boat/"
    assert body["results"][0]["thumbnail_url"].endswith(f"/photos/{body['results'][0]['id']}/thumbnail.webp")
    assert "text" in body["results"][0]["signals"]


def test_it_searches_with_the_browser_session(signed_in_client):
    assert signed_in_client.get("/api/search", {"q": "Lisbon"}).json()["results"][0]["exact"] == ["Lisbon"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer ps_not-a-token"}])
def test_it_refuses_a_request_without_valid_credentials(client, ana, headers):
    assert client.get("/api/search", {"q": "boat"}, headers=headers).status_code == 401


def test_a_revoked_token_no_longer_works(client, ana, token):
    ApiToken.objects.all().delete()
    assert client.get("/api/profiles", headers=token).status_code == 401


def test_another_user_sees_none_of_it(client, ana):
    ben = get_user_model().objects.create_user("ben")
    Tracking.objects.create(user=ben, profile=make_profile("chef"))
    _, key = ApiToken.issue(user=ben, name="b")
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/search", {"q": "boat at sunset"}, headers=headers).json()["total"] == 0
    assert [p["username"] for p in client.get("/api/profiles", headers=headers).json()] == ["chef"]
    photo = Photo.objects.filter(post__shortcode="Boat").get()
    assert client.get(f"/api/photos/{photo.pk}/similar", headers=headers).status_code == 404


@pytest.mark.parametrize(
    ("params", "status", "detail"),
    [
        ({"q": ""}, 400, "Tapez ce dont vous vous souvenez de la photo."),
        ({"q": "x" * 301}, 400, "La description doit faire moins de 300 caractères."),
        ({"q": "boat", "profile": "stranger"}, 404, "Vous ne suivez pas stranger."),
    ],
)
def test_a_client_asking_for_french_reads_why_in_french(client, token, params, status, detail):
    response = client.get("/api/search", params, headers=token | {"Accept-Language": "fr"})
    assert (response.status_code, response.json()["detail"]) == (status, detail)


@pytest.mark.parametrize(
    ("params", "status", "detail"),
    [
        ({"q": ""}, 400, "Type what you remember of the photo."),
        ({"q": "x" * 301}, 400, "Keep the description under 300 characters."),
        ({"q": "x" * 2001}, 400, "Keep the description under 300 characters."),
        ({"q": "a\x00b"}, 400, "Control characters (such as NUL) cannot be used here: remove them and try again."),
        ({"q": "boat", "profile": "stranger"}, 404, "You do not track stranger."),
    ],
)
def test_bad_input_gets_a_4xx_with_a_reason(client, token, params, status, detail):
    response = client.get("/api/search", params, headers=token)
    assert (response.status_code, response.json()["detail"]) == (status, detail)


@pytest.mark.parametrize("params", [{"q": "boat", "page": "0"}, {"q": "boat", "kind": "reel"}, {}])
def test_malformed_parameters_are_a_422(client, token, params):
    assert client.get("/api/search", params, headers=token).status_code == 422


def test_it_lists_the_tracked_profiles_and_their_jobs(client, token):
    sailor = Photo.objects.first().post.profile
    Job.objects.create(kind=Job.Kind.SYNC, profile=sailor, message="Waiting for Instagram until 14:05")
    Job.objects.create(kind=Job.Kind.SYNC, profile=make_profile("elsewhere"))
    assert [p["username"] for p in client.get("/api/profiles", headers=token).json()] == ["sailor"]
    jobs = client.get("/api/jobs", headers=token).json()
    assert [(j["profile"], j["message"]) for j in jobs] == [("sailor", "Waiting for Instagram until 14:05")]


def test_the_openapi_schema_is_valid(client, token):
    schema = client.get("/api/openapi.json").json()
    validate(schema)
    assert {"/api/search", "/api/photos/{photo_id}/similar", "/api/profiles", "/api/jobs"} <= set(schema["paths"])


def test_the_schema_says_the_query_length_the_service_accepts(client, token):
    parameters = client.get("/api/openapi.json").json()["paths"]["/api/search"]["get"]["parameters"]
    assert next(p for p in parameters if p["name"] == "q")["schema"]["maxLength"] == MAX_QUERY_LENGTH


def test_a_search_says_where_its_time_went_in_a_server_timing_header(client, token):
    response = client.get("/api/search", {"q": "a dog asleep by the fire"}, headers=token)
    stages = dict(part.strip().split(";dur=") for part in response["Server-Timing"].split(","))
    # A query never asked before: both encoders ran, then every candidate source and the page.
    assert {"encode_text", "candidates_text", "candidates_fulltext", "scoring", "page", "app"} <= set(stages)
    assert all(float(milliseconds) >= 0 for milliseconds in stages.values())
    assert float(stages["app"]) >= float(stages["encode_text"]) + float(stages["page"])
    again = client.get("/api/search", {"q": "a dog asleep by the fire"}, headers=token)
    assert "encode_text" not in again["Server-Timing"]  # its vectors came from the cache


def test_responses_that_time_no_stage_carry_no_server_timing(client, token):
    assert "Server-Timing" not in client.get("/api/profiles", headers=token)

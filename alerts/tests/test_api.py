"""/api/saved-searches and /api/notifications."""

import pytest
from openapi_spec_validator import validate

from alerts.models import Notification, SavedSearch

pytestmark = pytest.mark.django_db


def post(client, path, data):
    return client.post(path, data, content_type="application/json")


def test_it_saves_a_search_and_answers_201_with_it(signed_in_client, sailor):
    response = post(
        signed_in_client, "/api/saved-searches", {"q": "red boat", "profile": ["Sailor"], "kind": ["image"]}
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["query"], body["profiles"], body["kinds"]) == (
        "red boat",
        "red boat",
        ["sailor"],
        ["image"],
    )
    assert body["search_url"] == "http://testserver/search/?q=red+boat&profile=sailor&kind=image&sort=relevance"


@pytest.mark.parametrize(
    ("data", "status", "detail"),
    [
        ({"q": " "}, 400, "Type what you remember of the photo."),
        ({"q": "x" * 301}, 400, "Keep the description under 300 characters."),
        ({"q": "boat", "name": "x" * 101}, 400, "Keep the name under 100 characters."),
        (
            {"q": "boat", "after": "2024-05-01", "before": "2024-01-01"},
            400,
            "The end of the date range is before its start.",
        ),
        ({"q": "boat", "profile": ["stranger"]}, 404, "You do not track stranger."),
    ],
)
def test_a_search_that_cannot_be_saved_gets_a_sentence(signed_in_client, data, status, detail):
    response = post(signed_in_client, "/api/saved-searches", data)
    assert (response.status_code, response.json()["detail"]) == (status, detail)
    assert not SavedSearch.objects.exists()


def test_it_lists_only_your_saved_searches_with_their_unread_counts(client, notified, bob):
    SavedSearch.objects.create(user=bob, name="Bob's", query="sea")
    client.force_login(bob)
    assert [(s["name"], s["unread"]) for s in client.get("/api/saved-searches").json()] == [("Bob's", 0)]
    client.force_login(notified.user)
    assert [(s["name"], s["unread"]) for s in client.get("/api/saved-searches").json()] == [("Boats", 2)]


def test_it_renames_a_saved_search(signed_in_client, notified):
    response = signed_in_client.patch(f"/api/saved-searches/{notified.pk}", {"name": "Sailing"}, "application/json")
    assert (response.status_code, response.json()["name"]) == (200, "Sailing")


def test_it_deletes_a_saved_search_with_204_and_then_404(signed_in_client, notified):
    assert signed_in_client.delete(f"/api/saved-searches/{notified.pk}").status_code == 204
    assert not Notification.objects.exists()
    assert signed_in_client.delete(f"/api/saved-searches/{notified.pk}").status_code == 404


def test_someone_elses_saved_search_is_a_404(client, notified, bob):
    client.force_login(bob)
    assert client.delete(f"/api/saved-searches/{notified.pk}").json() == {"detail": "No such saved search among yours."}
    assert client.patch(f"/api/saved-searches/{notified.pk}", {"name": "x"}, "application/json").status_code == 404
    assert SavedSearch.objects.filter(pk=notified.pk).exists()


def test_it_lists_notifications_with_the_unread_count_and_a_link_to_each_post(signed_in_client, notified):
    body = signed_in_client.get("/api/notifications").json()
    assert body["unread"] == 2
    first = body["results"][0]
    assert (first["saved_search_name"], first["post"], first["read"]) == ("Boats", "Boat2", False)
    assert first["photo_url"] == f"http://testserver/photos/{first['photo']}/"


def test_marking_read_leaves_the_unread_filter_empty(signed_in_client, notified):
    first = Notification.objects.first()
    assert post(signed_in_client, "/api/notifications/read", {"ids": [first.pk]}).json() == {"marked": 1}
    assert [n["id"] for n in signed_in_client.get("/api/notifications", {"unread": True}).json()["results"]] == [
        Notification.objects.last().pk
    ]
    assert post(signed_in_client, "/api/notifications/read", {}).json() == {"marked": 1}
    assert signed_in_client.get("/api/notifications").json()["unread"] == 0


def test_nobody_reads_or_marks_anyone_elses_notifications(client, notified, bob):
    client.force_login(bob)
    assert client.get("/api/notifications").json() == {"unread": 0, "results": []}
    ids = list(Notification.objects.values_list("pk", flat=True))
    assert post(client, "/api/notifications/read", {"ids": ids}).json() == {"marked": 0}
    assert Notification.objects.unread().count() == 2


def test_the_schema_documents_the_new_endpoints_and_their_status_codes(client):
    schema = client.get("/api/openapi.json").json()
    validate(schema)
    # 400: a control character or a query search refuses; 413: a body over the limit; 422: a malformed body or
    # parameter.
    assert set(schema["paths"]["/api/saved-searches"]["post"]["responses"]) == {"201", "400", "404", "413", "422"}
    assert set(schema["paths"]["/api/saved-searches/{saved_search_id}"]["delete"]["responses"]) == {
        "204",
        "400",
        "404",
        "413",
        "422",
    }
    assert "/api/notifications/read" in schema["paths"]


@pytest.mark.parametrize("body", ["[null, null]", '"all"', "3"])
def test_a_body_that_is_no_json_object_is_refused_not_read_as_mark_all(signed_in_client, body):
    response = signed_in_client.post("/api/notifications/read", body, content_type="application/json")
    assert (response.status_code, response.json()["detail"]) == (
        422,
        "Malformed parameter (body): The body must be a JSON object.",
    )


def test_a_number_is_no_date_for_a_saved_search(signed_in_client):
    response = signed_in_client.post("/api/saved-searches", {"q": "boat", "after": 0}, content_type="application/json")
    assert (response.status_code, response.json()["detail"]) == (
        422,
        "Malformed parameter (after): Value error, a date is written YYYY-MM-DD.",
    )

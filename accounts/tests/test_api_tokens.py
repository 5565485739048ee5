import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.models import ApiToken

pytestmark = pytest.mark.django_db


def test_a_new_token_is_shown_once_and_only_its_hash_is_kept(signed_in_client, user):
    page = signed_in_client.post(reverse("api_tokens"), {"name": "backup script"}).content.decode()
    key = re.search(r'<code class="token">(ps_[\w-]+)</code>', page).group(1)
    token = ApiToken.objects.get(user=user)
    assert token.key_hash == ApiToken.hash(key) and key not in token.key_hash
    assert ApiToken.user_for(key) == user
    assert key not in signed_in_client.get(reverse("api_tokens")).content.decode()


def test_a_revoked_token_stops_working(signed_in_client, user):
    token, key = ApiToken.issue(user=user, name="old")
    signed_in_client.post(reverse("api_token_revoke", args=[token.pk]))
    assert ApiToken.user_for(key) is None


def test_nobody_revokes_another_users_token(signed_in_client, user):
    other, _ = ApiToken.issue(user=get_user_model().objects.create_user("ben"), name="ben's")
    assert signed_in_client.post(reverse("api_token_revoke", args=[other.pk])).status_code == 404
    assert ApiToken.objects.filter(pk=other.pk).exists()


def test_a_token_of_a_deactivated_user_does_not_work(user):
    _, key = ApiToken.issue(user=user, name="x")
    user.is_active = False
    user.save()
    assert ApiToken.user_for(key) is None

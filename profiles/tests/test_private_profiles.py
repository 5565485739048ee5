"""Adding and syncing a private profile: only with a staff member's leave."""

import pytest
from django.urls import reverse

from jobs.services import sync as tracking
from jobs.tasks import run_sync_job
from profiles.models import InstagramProfile, Post, PrivateProfileAccess, Tracking
from profiles.tests.factories import SYNCED, make_profile
from profiles.tests.fake_instagram import sample_posts

pytestmark = pytest.mark.django_db


def test_adding_a_private_profile_without_leave_is_refused_with_a_sentence(signed_in_client, user):
    make_profile("secret", is_private=True, last_synced_at=SYNCED)
    response = signed_in_client.post(reverse("profile_add"), {"profile": "@secret"})
    assert response.status_code == 400
    assert response.context["form"].errors["profile"] == [
        "@secret is a private profile: only the people a staff member allows can track it. Ask an admin to allow you."
    ]
    assert not Tracking.objects.exists()


def test_a_user_allowed_by_staff_tracks_and_sees_it(signed_in_client, user):
    secret = make_profile("secret", is_private=True, last_synced_at=SYNCED)
    PrivateProfileAccess.objects.create(profile=secret, user=user)
    assert signed_in_client.post(reverse("profile_add"), {"profile": "secret"}).status_code == 302
    assert signed_in_client.get(reverse("profile_detail", args=["secret"])).status_code == 200


def test_staff_allow_a_user_in_the_admin(admin_client, user, admin_user):
    secret = make_profile("secret", is_private=True)
    response = admin_client.post(
        reverse("admin:profiles_privateprofileaccess_add"), {"profile": secret.pk, "user": user.pk}
    )
    assert response.status_code == 302
    access = PrivateProfileAccess.objects.get()
    assert (access.user, access.granted_by, secret.allows(user)) == (user, admin_user, True)


def test_a_sync_fetches_nothing_of_a_private_profile_nobody_may_see(fake_instagram, signed_in, user):
    # The shared session's account follows it: without the rule, every post would be fetched.
    fake_instagram.add_profile(posts=sample_posts(), is_private=True, friendship_status={"following": True})
    _, job = tracking.profile_track(user=user, text="natgeotravel")
    run_sync_job.apply(args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.message) == (
        "failed",
        "@natgeotravel is private: its posts are fetched only once a staff member allows someone to see it.",
    )
    assert InstagramProfile.objects.get().is_private and not Post.objects.exists()
    assert fake_instagram.count("cdn") == 0


def test_staff_allow_a_user_on_the_profiles_own_admin_page(admin_client, user, admin_user):
    secret = make_profile("secret", is_private=True)
    url = reverse("admin:profiles_instagramprofile_change", args=[secret.pk])
    page = admin_client.get(url)
    initial = page.context["adminform"].form.initial
    data = {name: value for name, value in initial.items() if isinstance(value, str | int) and value is not False}
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data |= {f"{management.prefix}-{name}": value for name, value in management.initial.items()}
    data |= {"private_accesses-TOTAL_FORMS": 1, "private_accesses-0-user": user.pk}
    response = admin_client.post(url, data)
    assert response.status_code == 302
    assert PrivateProfileAccess.objects.get().granted_by == admin_user
    assert secret.allows(user)

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_it_creates_an_admin_with_a_password_it_prints_once(capsys):
    call_command("ensure_admin")
    password = re.search(r"with the password '([^']+)'", capsys.readouterr().out).group(1)
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password(password)


def test_it_leaves_an_existing_admin_alone(capsys):
    get_user_model().objects.create_superuser("boss", "", "secret-passphrase-1")
    call_command("ensure_admin")
    assert "exists already" in capsys.readouterr().out
    assert get_user_model().objects.count() == 1


def test_it_speaks_the_sites_language(db, settings):
    settings.LANGUAGE_CODE = "fr"  # LANGUAGE_CODE=fr in the environment: the commands print French
    out = StringIO()
    call_command("ensure_admin", stdout=out)
    assert out.getvalue().startswith("Compte administrateur créé.")
    assert "Connectez-vous sur http://127.0.0.1:8000/admin/ en tant que 'admin'" in out.getvalue()

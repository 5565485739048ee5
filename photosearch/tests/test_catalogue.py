"""The French catalogue: complete for every string the code and templates mark, and valid for msgfmt.

`make test` installs GNU gettext (msgfmt) as it installs Chromium, and compiles the catalogue first.
"""

import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

CATALOGUE = settings.BASE_DIR / "locale" / "fr" / "LC_MESSAGES" / "django.po"
SOURCES = ["templates", "accounts", "alerts", "core", "jobs", "photosearch", "profiles", "search"]


def statistics(po: Path) -> str:
    """msgfmt's count of translated, fuzzy and untranslated messages (it also checks formats and plurals)."""
    if shutil.which("msgfmt") is None:
        pytest.fail("No msgfmt: `make test` installs GNU gettext (apt-get install gettext).")
    done = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stderr.strip()


def _not_marked(folder, names) -> list[str]:
    """What makemessages would skip anyway: the tests, and files that are not code or templates (photos...)."""
    return [name for name in names if name == "tests" or Path(name).suffix not in ("", ".py", ".html", ".txt")]


def test_the_french_catalogue_has_no_untranslated_or_fuzzy_entry():
    counts = statistics(CATALOGUE)
    assert "untranslated" not in counts and "fuzzy" not in counts, counts
    assert counts.endswith("translated messages.")


def test_every_string_marked_in_the_code_is_in_the_french_catalogue(tmp_path, monkeypatch, settings):
    """makemessages over a copy of the sources, merged into a copy of the catalogue: nothing new, nothing fuzzy."""
    for folder in SOURCES:
        shutil.copytree(settings.BASE_DIR / folder, tmp_path / folder, ignore=_not_marked)
    copy = tmp_path / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    copy.parent.mkdir(parents=True)
    shutil.copy(CATALOGUE, copy)
    monkeypatch.chdir(tmp_path)
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    call_command("makemessages", locale=["fr"], no_obsolete=True, stdout=StringIO(), stderr=StringIO())
    counts = statistics(copy)
    assert "untranslated" not in counts and "fuzzy" not in counts, (
        f"{counts}: run `make messages`, then translate the new entries of {CATALOGUE.relative_to(settings.BASE_DIR)}"
    )


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/signup/"])
def test_a_french_browser_gets_the_pages_in_french(client, path):
    page = client.get(path, headers={"accept-language": "fr-FR,fr;q=0.9,en;q=0.5"}).content.decode()
    assert '<html lang="fr">' in page
    assert "Se connecter" in page and "Log in" not in page

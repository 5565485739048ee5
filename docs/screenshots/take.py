"""The README's pictures: Chromium over the demo profile, written to docs/screenshots/*.png (`make screenshots`).

Run by pytest for its fixtures (a test database, a live server, Debian's Chromium), never by `make test`:
its name is not test_*.py. The demo is indexed here with all-MiniLM-L6-v2 (the dev requirements ship it),
words only, so that the pictures show ranked results without the 3 GB of models.
"""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from PIL import Image

from jobs.models import Job
from profiles.models import Photo
from search.indexing.passes import photos_index
from search.tests.conftest import minilm  # noqa: F401  (the text model, shipped in a package)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HERE = Path(__file__).parent
DESKTOP, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}
QUERY = "/search/?q=lake+at+dusk"


def save(page, name: str) -> None:
    """A PNG of at most 256 colours: photos stay recognisable, the file stays small for the README."""
    path = HERE / f"{name}.png"
    page.screenshot(path=path)
    image = Image.open(path).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    image.save(path, optimize=True)


@pytest.fixture
def demo(user, minilm, settings):  # noqa: F811
    settings.IMAGE_TEXT_MODEL = settings.DESCRIPTION_MODEL = ""
    call_command("load_demo", stdout=StringIO(), stderr=StringIO())
    photos = list(Photo.objects.values_list("pk", flat=True))
    photos_index(photo_ids=photos)
    # The index job load_demo queued is done here, as a worker would have done it.
    for job in Job.objects.filter(status=Job.Status.QUEUED):
        job.claim()
        Job.objects.filter(pk=job.pk).update(progress_done=len(photos))
        job.finish(f"{len(photos)} photos indexed.")


def test_take_the_readmes_screenshots(signed_in_page, demo):
    page = signed_in_page
    page.set_viewport_size(DESKTOP)
    page.goto(QUERY)
    page.locator(".hit img").first.wait_for()
    page.wait_for_load_state("networkidle")
    save(page, "search-desktop")

    page.locator("main a.thumb").nth(1).click()
    page.locator("#lightbox .photo-detail img").wait_for()
    page.wait_for_load_state("networkidle")
    save(page, "photo-open")

    page.emulate_media(color_scheme="dark")
    page.goto(QUERY)
    page.wait_for_load_state("networkidle")
    save(page, "dark-mode")
    page.emulate_media(color_scheme="light")

    page.goto("/@photosearch_demo/")
    page.wait_for_load_state("networkidle")
    save(page, "profile-page")

    page.set_viewport_size(PHONE)
    page.goto(QUERY)
    page.wait_for_load_state("networkidle")
    page.evaluate("window.scrollTo(0, document.querySelector('#result-count').offsetTop - 8)")
    save(page, "search-phone")
    assert sorted(path.name for path in HERE.glob("*.png")) == [
        "dark-mode.png", "photo-open.png", "profile-page.png", "search-desktop.png", "search-phone.png"
    ]  # fmt: skip

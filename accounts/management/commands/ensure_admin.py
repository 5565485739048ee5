import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "Create an admin account, with a random password printed once, if no superuser exists yet."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--url", default="http://127.0.0.1:8000/admin/", help="Where the admin is served.")

    def handle(self, *args, username, url, **options):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write(_("An admin account exists already."))
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        created = _(
            "Created the admin account.\n  Log in at %(url)s as %(username)r with the password %(password)r\n"
            "  (shown only now: change it under Password once logged in)."
        )
        self.stdout.write(self.style.SUCCESS(created % {"url": url, "username": username, "password": password}))

"""python manage.py instagram_session USERNAME (--cookies FILE | --login)"""

import getpass
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from profiles.instagram import InstagramError
from profiles.services import sessions


class Command(BaseCommand):
    help = (
        "Store a signed-in Instagram session for photosearch to use: from cookies exported from a browser "
        "(a JSON object or list, or a Cookie header; '-' reads them from standard input), or by signing in "
        "with the account's password (asked, never an argument) and a two-factor code if Instagram asks."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="The Instagram account the session belongs to")
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--cookies", metavar="FILE", help="A file of cookies exported from a browser, or -")
        source.add_argument("--login", action="store_true", help="Sign in with the account's password")

    def handle(self, *args, username, cookies, login, **options):
        try:
            if login:
                session = sessions.session_store_login(
                    username=username,
                    password=getpass.getpass(f"Instagram password of @{username}: "),
                    ask_code=lambda: getpass.getpass("Two-factor code: "),
                )
            else:
                session = sessions.session_store_cookies(username=username, text=self.read(cookies))
        except (InstagramError, ValidationError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from None
        self.stdout.write(f"Stored a session for {session}; syncs use it from now on.")

    def read(self, path: str) -> str:
        if path == "-":
            return sys.stdin.read()
        try:
            with open(path, encoding="utf-8") as file:
                return file.read()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None

"""`runserver` (as `make run` starts it) made ready for its first search as it starts: search.warmup.

It wraps WhiteNoise's runserver (static files served as in production), which is why `photosearch`
comes before `whitenoise.runserver_nostatic` in INSTALLED_APPS.
"""

from whitenoise.runserver_nostatic.management.commands.runserver import Command as WhiteNoiseRunserver

from search.warmup import warm_up_in_background


class Command(WhiteNoiseRunserver):
    def inner_run(self, *args, **options):
        # In the process that serves (the reloader's child where it reloads), before it serves.
        warm_up_in_background()
        super().inner_run(*args, **options)

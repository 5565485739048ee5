from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from photosearch import health


@login_not_required
@never_cache
def healthz(request):
    """200 when the database and both Redis servers (the broker's, the cache's) answer, 503 otherwise: for load
    balancers and compose healthchecks."""
    checks = {"database": health.database_answers(), "broker": health.broker_answers(), "cache": health.cache_answers()}
    return JsonResponse(checks, status=200 if all(checks.values()) else 503)

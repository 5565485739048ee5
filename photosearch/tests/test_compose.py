"""docker-compose.yml and the Dockerfile, read as Docker would run them, checked here without Docker.

Each service must start a real entry point, the workers must serve the queues the settings route
to, each health check must reach something that answers, images are pinned, data lives in named
volumes, and the production settings built from the compose environment pass the deploy checks.
"""

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
# What an operator puts in .env (README, "Production").
DOTENV = {
    "SECRET_KEY": "k3y-" + "x7Qz!pL9#vR2@mN5$" * 4,
    "ALLOWED_HOSTS": "photos.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://photos.example.org",
    "POSTGRES_PASSWORD": "a-random-database-password",
    "EMAIL_HOST": "smtp.example.org",
}
APP_SERVICES = [name for name, service in SERVICES.items() if "build" in service]
WORKERS = {
    name: service["command"] for name, service in SERVICES.items() if service.get("command", [""])[0] == "celery"
}


def interpolate(value: str, env: dict) -> str:
    """Compose's variable substitution: ${VAR}, ${VAR:-default}, ${VAR:?error}, and $$ for a dollar."""

    def substitute(match):
        name, operator, argument = match.group(1), match.group(2), match.group(3)
        if env.get(name):
            return env[name]
        if operator == ":?":
            raise ValueError(f"required variable {name} is missing a value: {argument}")
        return argument or ""

    value = re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", substitute, value)
    return value.replace("$$", "$")


def environment(service: str, env: dict = DOTENV) -> dict:
    return {name: interpolate(str(value), env) for name, value in SERVICES[service].get("environment", {}).items()}


def command(service: str) -> list[str]:
    """The service's command, or the image's CMD when it has none."""
    if "command" in SERVICES[service]:
        return SERVICES[service]["command"]
    return json.loads(re.search(r"^CMD (\[.*\])$", DOCKERFILE, re.MULTILINE).group(1))


def option(arguments: list[str], name: str) -> str:
    return arguments[arguments.index(name) + 1]


def mounts(service: str) -> dict[str, str]:
    """Where each named volume of the service is mounted."""
    return dict(reversed(volume.split(":")[:2]) for volume in SERVICES[service].get("volumes", []))


def test_every_app_service_starts_a_real_entry_point():
    for name in APP_SERVICES:
        arguments = command(name)
        if arguments[:2] == ["python", "manage.py"]:
            assert arguments[2] in get_commands(), name
        elif arguments[0] == "celery":
            assert arguments[1:3] == ["--app", "photosearch"] and arguments[3] in ("worker", "beat"), name
        else:
            assert arguments[:2] == ["gunicorn", "photosearch.wsgi"], name
            from photosearch import wsgi  # noqa: F401  (the module gunicorn loads)


def test_the_workers_serve_exactly_the_queues_that_the_settings_route_tasks_to():
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} | {settings.CELERY_TASK_DEFAULT_QUEUE}
    served = {
        queue
        for arguments in WORKERS.values()
        if "worker" in arguments
        for queue in option(arguments, "--queues").split(",")
    }
    assert served == routed == {"scrape", "ml", "describe"}
    assert option(WORKERS["worker-scrape"], "--queues") == "scrape"  # Instagram's pace never waits on the models
    # In this order: a worker takes a description only when no photo waits to be made searchable.
    assert option(WORKERS["worker-ml"], "--queues") == option(WORKERS["worker-ml-gpu"], "--queues") == "ml,describe"
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["queue_order_strategy"] == "priority"


def test_each_worker_health_check_pings_that_worker_by_its_node_name():
    for name, arguments in WORKERS.items():
        if "beat" in arguments:
            continue
        node = option(arguments, "--hostname").replace("%h", "$HOSTNAME")  # %h: the container's host name
        test = SERVICES[name]["healthcheck"]["test"]
        assert test[0] == "CMD-SHELL"
        assert interpolate(test[1], {}).split() == [
            "celery", "--app", "photosearch", "inspect", "ping", "--destination", node, "--timeout", "10"
        ]  # fmt: skip


def test_the_database_and_redis_health_checks_ask_the_servers_themselves():
    database = SERVICES["db"]["environment"]
    assert SERVICES["db"]["healthcheck"]["test"] == [
        "CMD-SHELL", f"pg_isready -U {database['POSTGRES_USER']} -d {database['POSTGRES_DB']}"
    ]  # fmt: skip
    assert SERVICES["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]


def test_the_database_caches_a_gigabyte_unless_told_otherwise():
    command = SERVICES["db"]["command"]
    assert command[0] == "postgres"
    assert [interpolate(part, {}) for part in command[1:]] == ["-c", "shared_buffers=1GB"]
    assert interpolate(command[2], {"POSTGRES_SHARED_BUFFERS": "4GB"}) == "shared_buffers=4GB"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def production_web():
    """The image's web command (gunicorn) in production mode, with the compose environment: its port.

    Only the data stores differ: this run's own servers, since compose's `db` and `redis` exist only there.
    """
    port = free_port()
    arguments = command("web")
    assert "python:photosearch.gunicorn" in arguments  # its processes, threads and address come from there
    compose_env = environment("web") | {"WEB_BIND": f"127.0.0.1:{port}", "WEB_WORKERS": "1"}
    for name in ("DATABASE_URL", "REDIS_URL", "DATA_DIR", "MEDIA_ROOT", "HF_HOME"):
        compose_env.pop(name)
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "REDIS_DB", "DJANGO_SETTINGS_MODULE"}}
    server = subprocess.Popen(
        [sys.executable, "-m", *arguments], cwd=ROOT, env=env | compose_env, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            assert server.poll() is None, server.stderr.read()
            assert time.monotonic() < deadline, "gunicorn did not listen within 60 s"
            time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_web_health_check_passes_against_the_production_web_process(production_web):
    test = SERVICES["web"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    from photosearch import gunicorn as web_server  # the command's --config: where it listens

    assert "WEB_BIND" not in environment("web") and web_server.bind == "0.0.0.0:8000"
    check = test[3].replace("127.0.0.1:8000", f"127.0.0.1:{production_web}")
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


def status_of(port: int, path: str, host: str) -> tuple[int, str]:
    """The status and Location of a plain-HTTP GET, redirects not followed."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Host": host})
    response = connection.getresponse()
    connection.close()
    return response.status, response.getheader("Location", "")


def test_only_the_health_endpoint_skips_the_host_check_and_the_https_redirect(production_web):
    assert status_of(production_web, "/healthz", "127.0.0.1:8000") == (200, "")
    assert status_of(production_web, "/accounts/login/", "127.0.0.1:8000")[0] == 400  # no host name of the site
    assert status_of(production_web, "/accounts/login/", "photos.example.org") == (
        301,
        "https://photos.example.org/accounts/login/",
    )


def test_every_image_from_a_registry_is_pinned_to_an_exact_version():
    for name, service in SERVICES.items():
        if "build" in service:
            continue
        assert re.fullmatch(r"[\w./-]+:\d+\.\d+\.\d+[\w.-]*", service["image"]), f"{name}: {service['image']}"


def test_the_database_the_broker_the_media_and_the_models_live_in_named_volumes():
    assert mounts("db")["/var/lib/postgresql/data"] == "pgdata"
    assert mounts("redis")["/data"] == "redisdata"
    assert "--appendonly" in SERVICES["redis"]["command"]  # the queue survives a restart
    web = environment("web")
    for name in APP_SERVICES:
        assert mounts(name)[web["MEDIA_ROOT"]] == "media", name
        assert mounts(name)[web["HF_HOME"]] == "models", name
    assert set(COMPOSE["volumes"]) == {"pgdata", "redisdata", "appdata", "media", "models"}
    # Named volumes take the owner of the folder they are mounted on: the image makes them the app user's.
    assert "mkdir -p /data/media /data/models && chown -R photosearch:photosearch /data" in DOCKERFILE


def test_the_ml_workers_start_once_the_models_are_fetched_into_their_volume():
    assert command("models") == ["python", "manage.py", "download_models"]
    assert SERVICES["models"]["restart"] == "no"
    for name in ("worker-ml", "worker-ml-gpu"):
        assert SERVICES[name]["depends_on"]["models"] == {"condition": "service_completed_successfully"}
        assert mounts(name)[environment(name)["HF_HOME"]] == mounts("models")[environment("models")["HF_HOME"]]


def test_the_gpu_worker_is_a_profile_with_a_gpu_reserved_and_the_cuda_build_of_torch():
    gpu = SERVICES["worker-ml-gpu"]
    assert gpu["profiles"] == ["gpu"]
    assert gpu["deploy"]["resources"]["reservations"]["devices"] == [
        {"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}
    ]
    assert environment("worker-ml-gpu")["ML_DEVICE"] == "cuda"
    assert gpu["build"]["args"]["TORCH_INDEX_URL"].startswith("https://download.pytorch.org/whl/cu")
    assert gpu["image"] != SERVICES["worker-ml"]["image"]  # the CPU image is never overwritten by the CUDA one


def test_the_image_installs_torch_from_pytorchs_cpu_index_before_the_requirements():
    assert "ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu" in DOCKERFILE
    install = DOCKERFILE.index('pip install --index-url "$TORCH_INDEX_URL"')
    assert install < DOCKERFILE.index("pip install -r requirements.txt")
    assert re.search(r"^torch==\d", (ROOT / "requirements.txt").read_text(), re.MULTILINE)


def test_compose_refuses_to_start_without_an_smtp_server():
    with pytest.raises(ValueError, match="EMAIL_HOST"):
        environment("web", {name: value for name, value in DOTENV.items() if name != "EMAIL_HOST"})


@pytest.mark.parametrize("media", ["", "s3://photos?endpoint_url=https://s3.example.org&region=eu-west-1"])
def test_the_compose_environment_passes_the_deploy_checks(tmp_path, media):
    env = environment("web", DOTENV | {"MEDIA_STORAGE_URL": media})
    env |= dict(re.findall(r"^ENV (STATIC_ROOT)=(\S+)$", DOCKERFILE, re.MULTILINE))
    # The container's folders, here under a temporary one; nothing else changes.
    env = {name: re.sub(r"^/(data|app)\b", lambda m: str(tmp_path / m.group(1)), value) for name, value in env.items()}
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "REDIS_DB", "DJANGO_SETTINGS_MODULE"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=base | {"DJANGO_SETTINGS_MODULE": "photosearch.settings"} | env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def container_env(service: str, dotenv: dict = DOTENV) -> dict:
    """What the service's container gets: the operator's .env whole (env_file), under compose's `environment`."""
    from_file = dotenv if SERVICES[service].get("env_file") == ".env" else {}
    return from_file | environment(service, dotenv)


def test_what_the_operator_writes_in_env_reaches_every_app_process(tmp_path):
    operator = DOTENV | {"SITE_URL": "https://photos.example.org", "TIME_ZONE": "Europe/Paris", "DIGEST_HOUR": "6"}
    for name in APP_SERVICES:
        assert SERVICES[name]["env_file"] == ".env", name
    env = {name: re.sub(r"^/data\b", str(tmp_path), value) for name, value in container_env("beat", operator).items()}
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "REDIS_DB", "DJANGO_SETTINGS_MODULE"}}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings as s; "
         "print(s.SITE_URL, s.TIME_ZONE, s.DIGEST_HOUR, s.DEBUG)"],
        cwd=ROOT, env=base | {"DJANGO_SETTINGS_MODULE": "photosearch.settings"} | env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.stdout.split() == ["https://photos.example.org", "Europe/Paris", "6", "False"], result.stderr


def test_every_service_rotates_its_logs():
    for name, service in SERVICES.items():
        assert service["logging"]["driver"] == "json-file", name
        assert service["logging"]["options"] == {"max-size": "10m", "max-file": "5"}, name


def megabytes(size: str) -> float:
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)([mg])", size).groups()
    return float(number) * (1024 if unit == "g" else 1)


def test_every_service_has_a_memory_limit_above_what_it_is_told_to_use():
    limits = {name: megabytes(interpolate(str(service["mem_limit"]), {})) for name, service in SERVICES.items()}
    assert all(limit >= 256 for limit in limits.values()), limits
    assert limits["cache"] > 256  # its --maxmemory, and Redis's own needs
    assert limits["db"] > 1024  # shared_buffers, and each connection's
    assert megabytes(interpolate(str(SERVICES["web"]["mem_limit"]), {"WEB_MEMORY_LIMIT": "12g"})) == 12 * 1024


def test_beats_health_check_runs_the_beat_check_on_the_schedule_beat_writes():
    assert SERVICES["beat"]["healthcheck"]["test"] == ["CMD", "python", "manage.py", "healthcheck", "--beat"]
    schedule = option(command("beat"), "--schedule")
    # settings.CELERY_BEAT_SCHEDULE_FILENAME, which the check reads, is DATA_DIR's celerybeat-schedule.
    assert schedule == f"{environment('beat')['DATA_DIR']}/celerybeat-schedule"


def test_the_compose_web_trusts_the_proxy_reaching_it_through_dockers_networks_and_nobody_else():
    import ipaddress

    networks = [ipaddress.ip_network(n) for n in environment("web")["TRUSTED_PROXIES"].split(",")]
    trusted = lambda address: any(ipaddress.ip_address(address) in network for network in networks)  # noqa: E731
    # The gateways of Docker's default bridge, of compose's first networks, and of its 192.168 pool.
    assert all(trusted(gateway) for gateway in ("172.17.0.1", "172.18.0.1", "172.31.0.1", "192.168.0.1"))
    assert not trusted("203.0.113.5") and not trusted("10.1.2.3")

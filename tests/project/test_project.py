import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings
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


def _production_env(**values: str) -> dict[str, str]:
    """This process's environment without the test settings' values, as a production deploy would set it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CACHE_URL", "STATIC"))}
    return (
        env
        | {
            "DJANGO_SETTINGS_MODULE": "works_console.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "a" * 20 + "production-like-secret-key-with-enough-entropy-9f8e7d6c",
            "DJANGO_ALLOWED_HOSTS": "console.example.com",
        }
        | values
    )


def test_check_deploy_warns_only_of_the_ssl_redirect_when_it_is_deliberately_off():
    # A TLS proxy that redirects to HTTPS itself is a reason to turn the console's redirect off (docs/operations.md).
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=_production_env(DJANGO_SECURE_SSL_REDIRECT="false"),
        capture_output=True,
        text=True,
        check=False,
    )

    warnings = re.findall(r"\((\w+\.\w\d+)\)", result.stderr + result.stdout)
    assert result.returncode == 0, result.stderr
    assert warnings == ["security.W008"], result.stderr + result.stdout


# Every setting an operator may need, from the environment variable of its name (docs/operations.md).
FROM_THE_ENVIRONMENT = {
    "TRUSTED_PROXY_COUNT": ("2", 2),
    "TRUSTED_PROXIES": ("10.1.0.0/16,10.0.0.5", ["10.1.0.0/16", "10.0.0.5"]),
    "WORKS_DNS_RESOLVERS": ("192.0.2.53,192.0.2.54", ["192.0.2.53", "192.0.2.54"]),
    "WORKS_DNS_PORT": ("5353", 5353),
    "WORKS_DNS_TIMEOUT": ("2.5", 2.5),
    "EMAIL_HOST": ("smtp.example.com", "smtp.example.com"),
    "EMAIL_PORT": ("587", 587),
    "EMAIL_HOST_USER": ("console", "console"),
    "EMAIL_HOST_PASSWORD": ("s3cret", "s3cret"),
    "EMAIL_USE_TLS": ("true", True),
    "EMAIL_TIMEOUT": ("20", 20),
    "SIGNUP_RATE_PER_CLIENT": ("5/h", "5/h"),
    "HEALTH_CHECK_TIMEOUT": ("0.5", 0.5),
    "HEALTH_ANSWER_SECONDS": ("10", 10.0),
}


def test_the_operators_settings_are_read_from_the_environment():
    names = list(FROM_THE_ENVIRONMENT) + [
        "LANGUAGE_COOKIE_SECURE",
        "LANGUAGE_COOKIE_SAMESITE",
        "SESSION_COOKIE_SECURE",
    ]
    script = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {names!r}}}))"
    )

    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=_production_env(**{name: raw for name, (raw, _value) in FROM_THE_ENVIRONMENT.items()}),
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    read = json.loads(result.stdout.splitlines()[-1])
    assert read == {name: value for name, (_raw, value) in FROM_THE_ENVIRONMENT.items()} | {
        "LANGUAGE_COOKIE_SECURE": True,
        "LANGUAGE_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": True,
    }


def test_every_environment_variable_of_the_settings_is_in_the_operations_guide():
    read = set(re.findall(r'env\.\w+\("([A-Z_]+)"', (ROOT / "works_console" / "settings.py").read_text()))
    guide = (ROOT / "docs" / "operations.md").read_text()

    assert len(read) > 30
    assert sorted(name for name in read if f"`{name}`" not in guide) == []


def test_the_language_cookie_is_same_site_lax_and_kept_from_scripts(client):
    response = client.post(reverse("set_language"), {"language": "ja", "next": "/accounts/login/"})

    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert (cookie.value, cookie["samesite"], cookie["httponly"]) == ("ja", "Lax", True)


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

"""The benchmark's own PostgreSQL database: created when missing, migrated, emptied between runs.

Only a server on this machine (127.0.0.1 / localhost) is accepted: the benchmark writes and truncates freely.
"""

from urllib.parse import unquote, urlsplit

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
# Tables the benchmark fills; everything of these apps except the seeded plan catalog, plus sessions,
# Django admin's history and django-axes' records (the page benchmark logs a customer in).
DATA_APPS = {"accounts", "subscriptions", "workspaces", "billing", "axes"}
KEEP_TABLES = {"billing_plan"}
EXTRA_TABLES = ["django_session", "django_admin_log"]


def parse_local_url(url: str) -> dict:
    """`postgres://user@127.0.0.1:5432/name` -> psycopg connect kwargs; refuses anything not on this machine."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise SystemExit(f"bench: DATABASE_URL must be a PostgreSQL URL, not {parts.scheme!r}")
    host = parts.hostname or ""
    if host not in LOCAL_HOSTS:
        raise SystemExit(f"bench: refusing to benchmark a database on {host!r}: only 127.0.0.1 is allowed")
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise SystemExit("bench: the database URL names no database")
    kwargs = {"host": host, "port": parts.port or 5432, "dbname": name, "user": unquote(parts.username or "postgres")}
    if parts.password:
        kwargs["password"] = unquote(parts.password)
    return kwargs


def ensure_database(url: str) -> bool:
    """Create the database when it does not exist yet; True when it was created."""
    import psycopg
    from psycopg import sql

    kwargs = parse_local_url(url)
    name = kwargs.pop("dbname")
    with psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=10, **kwargs) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            return False
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def drop_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    kwargs = parse_local_url(url)
    name = kwargs.pop("dbname")
    with psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=10, **kwargs) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def data_tables() -> list[str]:
    from django.apps import apps

    tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in DATA_APPS and not model._meta.proxy and model._meta.managed
    }
    return sorted(tables - KEEP_TABLES) + EXTRA_TABLES


def truncate() -> None:
    """Empty every table the benchmark writes (ids restart at 1) and make sure the plan catalog is there."""
    from django.db import connection

    from billing.catalog import ensure_catalog

    existing = set(connection.introspection.table_names())
    tables = [table for table in data_tables() if table in existing]
    with connection.cursor() as cursor:
        quoted = ", ".join(connection.ops.quote_name(table) for table in tables)
        cursor.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
    ensure_catalog()


def analyze(*tables: str) -> None:
    """Fresh planner statistics after a bulk load, as autovacuum would give a production table."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")

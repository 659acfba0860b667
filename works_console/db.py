"""Set-based writes shared by the services (STYLE: a bounded number of queries per chunk).

On PostgreSQL both go as one statement from plain values, one array per column (``unnest``): no model instance
is built and no field prepares a value, which is where a chunk of a thousand rows spent its time. Other
databases (SQLite for ``make run``) take the ORM's way, with the same result.
"""

import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from django.db import connection, models
from django.db.models import Case, F, Value, When


def _field(model: type[models.Model], name: str) -> models.Field:
    return model._meta.get_field(name)


@functools.cache
def _array_type(field: models.Field) -> str:
    """The SQL type of a parameter array for the column: JSON goes as text, cast per value (one PostgreSQL)."""
    if isinstance(field, models.JSONField):
        return "text[]"
    return f"{field.db_type(connection)}[]"


def _column_value(field: models.Field, alias: str) -> str:
    return f"{alias}::jsonb" if isinstance(field, models.JSONField) else alias


def _array_literal(values: list) -> str | None:
    """The PostgreSQL array literal of plain values (``{1,NULL,"a \\"b\\""}``), or None for a value of another
    type (psycopg adapts that list itself). One string per column: psycopg would otherwise dump and quote each
    element in Python, a tenth of a chunk's time."""
    parts = []
    for value in values:
        if value is None:
            parts.append("NULL")
        elif isinstance(value, bool):
            parts.append("t" if value else "f")
        elif isinstance(value, str):
            parts.append('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"')
        elif isinstance(value, int):
            parts.append(int.__repr__(value))
        elif isinstance(value, date):  # a datetime too: ISO 8601 with its offset
            parts.append(value.isoformat())
        else:
            return None
    return "{" + ",".join(parts) + "}"


def _arrays(fields: Sequence[models.Field], columns: list[list]) -> list:
    """One parameter per column: JSON values as their text (what JSONField stores: ``json.dumps``), None as SQL
    NULL; each column as its array literal when its values are plain (``_array_literal``)."""
    arrays = []
    for field, column in zip(fields, columns, strict=True):
        if isinstance(field, models.JSONField):
            column = [None if value is None else json.dumps(value, cls=field.encoder) for value in column]
        literal = _array_literal(column)
        arrays.append(column if literal is None else literal)
    return arrays


def _is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def insert_rows(
    model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence[Any]], *, returning: str | None = None
) -> list:
    """Insert plain tuples (one value per field of ``names``, a relation by its id) in ONE statement.

    ``INSERT INTO table (columns) SELECT ... FROM unnest(%s::type[], ...)``: one array per column. The fields not
    named take their database default; Python-side defaults (``auto_now_add``, a ``default=``) are the caller's to
    give. ``returning`` names one field whose values come back in the order of ``rows`` (the ids).
    """
    rows = [tuple(row) for row in rows]
    if not rows:
        return []
    fields = [_field(model, name) for name in names]
    if not _is_postgresql():
        objects = model.objects.bulk_create(
            model(**{field.attname: value for field, value in zip(fields, row, strict=True)}) for row in rows
        )
        return [getattr(obj, _field(model, returning).attname) for obj in objects] if returning else []
    columns = _arrays(fields, [list(column) for column in zip(*rows, strict=True)])
    aliases = [f"c{index}" for index in range(len(fields))]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "  # noqa: S608 - names from the model
        f"SELECT {', '.join(_column_value(field, alias) for field, alias in zip(fields, aliases, strict=True))} "
        f"FROM unnest({', '.join(f'%s::{_array_type(field)}' for field in fields)}) AS u ({', '.join(aliases)})"
    )
    if returning:
        sql += f" RETURNING {quote(_field(model, returning).column)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, columns)
        return [row[0] for row in cursor.fetchall()] if returning else []


def update_rows(
    model: type[models.Model], changes: Mapping[int, Mapping[str, Any]], *, bump: Sequence[str] = ()
) -> int:
    """Give each row its own values in ONE UPDATE: ``{pk: {field: value}}`` (a model instance stands for its pk);
    the integer fields named in ``bump`` move on by one in every row (a version that caches read, say).

    On PostgreSQL: ``UPDATE ... FROM unnest(ids, values..., given...)``, one array per field and one of booleans
    telling whether a row sets it (a row keeps a field it does not name). Elsewhere each field becomes
    ``CASE WHEN pk IN (...) THEN value ... ELSE field END`` with one WHEN per distinct value.
    """
    if not changes:
        return 0
    names = sorted({name for values in changes.values() for name in values})
    if _is_postgresql():
        return _update_from_arrays(model, names, changes, bump)
    assignments = {}
    for name in names:
        model_field = model._meta.get_field(name)
        output_field = model_field.target_field if model_field.is_relation else model_field
        groups: dict[Any, tuple[Any, list[int]]] = {}
        for pk, values in changes.items():
            if name in values:
                value = _plain(values[name])
                # A JSON value (a dict, a list) is grouped by its text: it cannot be a key itself.
                key = json.dumps(value, sort_keys=True, default=str) if isinstance(value, dict | list) else value
                groups.setdefault(key, (value, []))[1].append(pk)
        assignments[model_field.attname] = Case(
            *(When(pk__in=pks, then=Value(value, output_field=output_field)) for value, pks in groups.values()),
            default=F(model_field.attname),
            output_field=output_field,
        )
    assignments.update({_field(model, name).attname: F(_field(model, name).attname) + 1 for name in bump})
    return model.objects.filter(pk__in=list(changes)).update(**assignments)


def _plain(value: Any) -> Any:
    return value.pk if isinstance(value, models.Model) else value


def _update_from_arrays(
    model: type[models.Model], names: list[str], changes: Mapping[int, Mapping[str, Any]], bump: Sequence[str]
) -> int:
    fields = [_field(model, name) for name in names]
    pks = list(changes)
    values = [[_plain(changes[pk].get(name)) for pk in pks] for name in names]
    values = _arrays(fields, values)
    quote = connection.ops.quote_name
    table, pk_column = quote(model._meta.db_table), quote(model._meta.pk.column)
    arrays = [f"%s::{model._meta.pk.db_type(connection)}[]"]
    params: list = [_array_literal(pks) or pks]
    aliases = ["pk"]
    assignments = []
    for index, (name, field) in enumerate(zip(names, fields, strict=True)):
        given = [name in changes[pk] for pk in pks]
        value = _column_value(field, f"u.v{index}")
        column = quote(field.column)
        if all(given):
            assignments.append(f"{column} = {value}")
        else:
            arrays.append("%s::boolean[]")
            params.append(_array_literal(given))
            aliases.append(f"g{index}")
            assignments.append(f"{column} = CASE WHEN u.g{index} THEN {value} ELSE t.{column} END")
        arrays.append(f"%s::{_array_type(field)}")
        params.append(values[index])
        aliases.append(f"v{index}")
    for name in bump:
        column = quote(_field(model, name).column)
        assignments.append(f"{column} = t.{column} + 1")
    sql = (
        f"UPDATE {table} AS t SET {', '.join(assignments)} "  # noqa: S608 - names from the model
        f"FROM unnest({', '.join(arrays)}) AS u ({', '.join(aliases)}) WHERE t.{pk_column} = u.pk"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount

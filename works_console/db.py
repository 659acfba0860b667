"""Set-based writes shared by the services (STYLE: a bounded number of queries per chunk)."""

from collections.abc import Mapping
from typing import Any

from django.db import models
from django.db.models import Case, F, Value, When


def update_rows(
    model: type[models.Model], changes: Mapping[int, Mapping[str, Any]], *, every_row: Mapping[str, Any] | None = None
) -> int:
    """Give each row its own values in ONE UPDATE: ``{pk: {field: value}}`` (a model instance stands for its pk);
    ``every_row`` adds assignments that every row takes, such as an expression (``{"version": F("version") + 1}``).

    Each field becomes ``CASE WHEN pk IN (...) THEN value ... ELSE field END`` with one WHEN per distinct value,
    not per row: a chunk usually shares a few dates, and PostgreSQL hashes long IN lists, so the cost stays linear.
    """
    if not changes:
        return 0
    names = sorted({name for values in changes.values() for name in values})
    assignments = {}
    for name in names:
        model_field = model._meta.get_field(name)
        output_field = model_field.target_field if model_field.is_relation else model_field
        pks_by_value: dict[Any, list[int]] = {}
        for pk, values in changes.items():
            if name in values:
                value = values[name]
                pks_by_value.setdefault(value.pk if isinstance(value, models.Model) else value, []).append(pk)
        assignments[model_field.attname] = Case(
            *(When(pk__in=pks, then=Value(value, output_field=output_field)) for value, pks in pks_by_value.items()),
            default=F(model_field.attname),
            output_field=output_field,
        )
    return model.objects.filter(pk__in=list(changes)).update(**assignments, **(every_row or {}))

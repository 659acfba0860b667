"""The lifecycle jobs' schedule in Django admin (django-celery-beat, SPEC 6): its own pages, with two inputs that
they answered with a 500 refused at the field instead (issue 21)."""

from celery.schedules import ParseException
from django.contrib import admin
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import CrontabSchedule, PeriodicTask


class PeriodicTaskForm(beat_admin.PeriodicTaskForm):
    def clean(self) -> dict:
        if "task" not in self.cleaned_data and not self.cleaned_data.get("regtask"):
            # The task field refused its value (a NUL): its error stands. The parent reads the value (a KeyError).
            return super(beat_admin.PeriodicTaskForm, self).clean()
        return super().clean()


class PeriodicTaskAdmin(beat_admin.PeriodicTaskAdmin):
    form = PeriodicTaskForm


class CrontabScheduleAdmin(beat_admin.CrontabScheduleAdmin):
    def human_readable(self, schedule: CrontabSchedule) -> str | None:
        """The schedule in words. A schedule refused at its fields (`minute=-1`) is shown again with them, and
        celery cannot describe it (a ParseException, a 500 in the middle of the page): it has no words yet."""
        try:
            return schedule.human_readable
        except (ParseException, ValueError):
            return None


for model, model_admin in ((PeriodicTask, PeriodicTaskAdmin), (CrontabSchedule, CrontabScheduleAdmin)):
    admin.site.unregister(model)
    admin.site.register(model, model_admin)

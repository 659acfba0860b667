"""The operators' form pages in Django admin (SPEC 11), written once.

Every operator page (an action on a subscription, a bulk action on the list, `Grant credit`, `Retry failed
items`) is a form with a reason and a submit button bearing the action's name. Nothing changes before the
operator submits it; then one service call does the work, its message is shown, and the operator is taken
back. A service's ValidationError is shown at the field it names, and nothing has changed.

`operator_form_page` is that page; `ObjectTools` routes a change page's own pages and lists them as the
object tools (the buttons at the top right of the change page).
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from works_console.forms import add_service_error


@dataclass(frozen=True)
class Done:
    """What a page's service did: the message for the operator, and the page to go to next (None: back to the
    change list, as Django admin's bulk actions do)."""

    message: str
    redirect_to: str | None = None


@dataclass(frozen=True)
class Tool:
    """A link among a change page's object tools."""

    url: str
    label: str


def operator_form_page(
    model_admin,
    request: HttpRequest,
    *,
    form: Form,
    submitted: bool,
    perform: Callable[[Form], Done],
    template: str,
    label: str,
    back_url: str,
    crumb: str | None = None,
    title: str | None = None,
    **context,
) -> HttpResponse | None:
    """The form page, or the service's result once a submitted form is valid.

    ``label`` is the submit button's text (and the title unless ``title`` is given); ``crumb`` names the object
    between the change list and the page in the breadcrumbs, linked to ``back_url``. Returns None after a bulk
    action's success, which sends Django admin back to the change list.
    """
    if submitted and form.is_valid():
        try:
            done = perform(form)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            model_admin.message_user(request, done.message, messages.SUCCESS)
            return redirect(done.redirect_to) if done.redirect_to else None
    page = {
        **model_admin.admin_site.each_context(request),
        "title": title or label,
        "label": label,
        "form": form,
        "opts": model_admin.model._meta,
        "back_url": back_url,
        "crumb": crumb,
        **context,
    }
    return TemplateResponse(request, template, page)


class ObjectTools:
    """A ModelAdmin mixin: the change page's own pages and the links to them.

    ``object_pages`` lists each page as (route after the object's id, name of the view method, URL name);
    ``object_tools(request, obj)`` says which links this object's change page shows.
    """

    change_form_template = "admin/change_form_tools.html"
    object_pages: list[tuple[str, str, str]] = []

    def get_urls(self):
        own = [
            path(
                f"<path:object_id>/{route}",
                self.admin_site.admin_view(self._object_page(getattr(self, view))),
                name=name,
            )
            for route, view, name in self.object_pages
        ]
        return [*own, *super().get_urls()]

    def _object_page(self, view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        """``view`` for ids of this model only: an id the primary key cannot hold (``abc`` for an integer key) is a
        404 before the view looks it up, where the database would refuse it with a 500 (issue 21)."""

        @wraps(view)
        def page(request: HttpRequest, object_id: str, **kwargs) -> HttpResponse:
            try:
                self.model._meta.pk.to_python(unquote(object_id))
            except ValidationError:
                raise Http404 from None
            return view(request, object_id, **kwargs)

        return page

    def object_tools(self, request: HttpRequest, obj) -> list[Tool]:
        return []

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["object_tools"] = self.object_tools(request, obj) if obj is not None else []
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

"""What both wizards (trial application, upgrade) share on top of django-formtools."""

import copy

from django.http import HttpResponse, HttpResponseBadRequest
from formtools.wizard.forms import ManagementForm
from formtools.wizard.storage.session import SessionStorage
from formtools.wizard.views import SessionWizardView


class ChangedSessionStorage(SessionStorage):
    """formtools' session storage, saving the session only when the wizard's data changed (issue 17).

    formtools marks the session modified on every read of its data, and a GET of the first step resets the data
    to what it already is: every page of a wizard was an UPDATE and a COMMIT of the session row. Here the data
    are compared at the end of the request with what the request found; the session is saved when they differ.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.found = copy.deepcopy(self.request.session[self.prefix])

    def _get_data(self) -> dict:
        return self.request.session[self.prefix]

    def _set_data(self, value: dict) -> None:
        modified = self.request.session.modified
        self.request.session[self.prefix] = value
        self.request.session.modified = modified

    data = property(_get_data, _set_data)

    def update_response(self, response) -> None:
        # formtools' WizardView.dispatch calls this once the view has answered, whatever the path.
        if self.request.session[self.prefix] != self.found:
            self.request.session.modified = True
        super().update_response(response)


class SessionWizard(SessionWizardView):
    """A session wizard that answers a tampered step name by showing the current step again, and refuses files.

    formtools trusts the posted `current_step` and would raise a KeyError (a 500) on a step that does not exist.
    No step takes a file, so the wizards keep no file storage, and formtools raises NoFileStorageConfigured (a 500)
    when a valid step comes with one: such a request is a 400, and nothing of it is stored (issue 21).
    """

    storage_name = "subscriptions.wizard.ChangedSessionStorage"

    def post(self, *args, **kwargs) -> HttpResponse:
        if self.request.FILES:
            return HttpResponseBadRequest("This form takes no files.", content_type="text/plain")
        management_form = ManagementForm(self.request.POST, prefix=self.prefix)
        if management_form.is_valid() and management_form.cleaned_data["current_step"] not in self.get_form_list():
            return self.render(self.get_form())
        return super().post(*args, **kwargs)

"""What both wizards (trial application, upgrade) share on top of django-formtools."""

from django.http import HttpResponse, HttpResponseBadRequest
from formtools.wizard.forms import ManagementForm
from formtools.wizard.views import SessionWizardView


class SessionWizard(SessionWizardView):
    """A session wizard that answers a tampered step name by showing the current step again, and refuses files.

    formtools trusts the posted `current_step` and would raise a KeyError (a 500) on a step that does not exist.
    No step takes a file, so the wizards keep no file storage, and formtools raises NoFileStorageConfigured (a 500)
    when a valid step comes with one: such a request is a 400, and nothing of it is stored (issue 21).
    """

    def post(self, *args, **kwargs) -> HttpResponse:
        if self.request.FILES:
            return HttpResponseBadRequest("This form takes no files.", content_type="text/plain")
        management_form = ManagementForm(self.request.POST, prefix=self.prefix)
        if management_form.is_valid() and management_form.cleaned_data["current_step"] not in self.get_form_list():
            return self.render(self.get_form())
        return super().post(*args, **kwargs)

"""What both wizards (trial application, upgrade) share on top of django-formtools."""

from django.http import HttpResponse
from formtools.wizard.forms import ManagementForm
from formtools.wizard.views import SessionWizardView


class SessionWizard(SessionWizardView):
    """A session wizard that answers a tampered step name by showing the current step again.

    formtools trusts the posted `current_step` and would raise a KeyError (a 500) on a step that does not exist.
    """

    def post(self, *args, **kwargs) -> HttpResponse:
        management_form = ManagementForm(self.request.POST, prefix=self.prefix)
        if management_form.is_valid() and management_form.cleaned_data["current_step"] not in self.get_form_list():
            return self.render(self.get_form())
        return super().post(*args, **kwargs)

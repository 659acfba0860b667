"""NAVER WORKS Admin (SPEC 7): login, company info, members, organization, groups, domain, export.

Views go form -> service -> redirect and turn a service's ValidationError into messages at the form. Every
object is looked up within the signed-in member's workspace, so another workspace's object is a 404.
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.throttling import login_refused, minutes_until_retry
from subscriptions.models import Subscription
from subscriptions.services.rename import subscription_rename_workspace
from works_console.client_ip import client_ip
from works_console.confirm import is_confirmed
from works_console.redirects import safe_next_path

from . import confirmations, directory, services
from .decorators import current_member, works_login, works_logout, works_member_required
from .export import workspace_export_data
from .forms import (
    ACCOUNT_ID_MAX_LENGTH,
    CompanyForm,
    GroupMemberForm,
    MemberAddForm,
    OrgUnitAddForm,
    RenameForm,
    WorkGroupAddForm,
    WorksLoginForm,
)
from .models import AccountType, Member, OrgUnit, WorkGroup, Workspace
from .selectors import admin_login_failures, admin_overview, member_access_error
from .validators import normalize_account_id, unicode_name

# --- Login (SPEC 7.1) -----------------------------------------------------------------------------------------


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """SPEC 7.1: `Account ID`, `Password`, `Start`. Failed logins are limited (accounts/throttling.py)."""
    member = current_member(request)
    if member is not None and member_access_error(member) is None:
        return redirect("workspaces:home")
    if request.method != "POST":
        # `Go to NAVER WORKS Admin` (subscriptions.action_views.open_admin) pre-fills the card's account ID.
        account_id = request.GET.get("account_id", "")[:ACCOUNT_ID_MAX_LENGTH]
        form = WorksLoginForm(initial={"account_id": unicode_name(account_id)} if account_id else None)
        return render(request, "workspaces/login.html", {"form": form})

    now = timezone.now()
    form = WorksLoginForm(request.POST)
    account_id, ip_address = normalize_account_id(request.POST.get("account_id", "")), client_ip(request)
    failures = admin_login_failures(account_id=account_id, ip_address=ip_address, now=now)
    if login_refused(failures):
        form.is_valid()
        form.add_error(
            None,
            _("Too many failed logins. Try again in %(minutes)d minutes.")
            % {"minutes": minutes_until_retry(failures, now=now)},
        )
        return render(request, "workspaces/login.html", {"form": form}, status=429)
    if form.is_valid():
        try:
            member = services.admin_authenticate(
                account_id=form.cleaned_data["account_id"], password=form.cleaned_data["password"], now=now
            )
        except ValidationError as error:
            if error.code == "invalid_login":
                services.admin_login_failure_record(account_id=account_id, ip_address=ip_address, now=now)
            form.add_error(None, error)
        else:
            services.admin_login_failures_clear(account_id=account_id, ip_address=ip_address)
            works_login(request, member)
            next_path = safe_next_path(request, request.GET.get("next"))
            return HttpResponseRedirect(next_path or reverse("workspaces:home"))
    return render(request, "workspaces/login.html", {"form": form})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    works_logout(request)
    messages.info(request, _("You have logged out of NAVER WORKS Admin."))
    return redirect("workspaces:login")


# --- Home and company info (SPEC 7.2) -------------------------------------------------------------------------


def _render_home(request: HttpRequest, *, status: int = 200, **bound_forms) -> HttpResponse:
    member: Member = request.works_member
    workspace = member.workspace
    overview = admin_overview(workspace=workspace)
    for group in overview.groups:
        in_group = {other.pk for other in group.members.all()}
        group.candidates = [other for other in overview.members if other.pk not in in_group]
    context = {
        "member": member,
        "workspace": workspace,
        "overview": overview,
        "member_form": bound_forms.get("member_form") or MemberAddForm(workspace=workspace),
        "unit_form": bound_forms.get("unit_form") or OrgUnitAddForm(workspace=workspace),
        "group_form": bound_forms.get("group_form") or WorkGroupAddForm(),
        "rename_form": bound_forms.get("rename_form") or RenameForm(),
        "group_errors": bound_forms.get("group_errors", {}),
        "can_rename": workspace.kind == AccountType.GROUP,
    }
    return render(request, "workspaces/home.html", context, status=status)


@never_cache
@require_GET
@works_member_required(admin_only=False)
def home(request: HttpRequest) -> HttpResponse:
    member: Member = request.works_member
    if not member.is_admin:
        return render(
            request,
            "workspaces/member_home.html",
            {"member": member, "workspace": member.workspace, "groups": member.work_groups.order_by("name")},
        )
    if member.workspace.company_set_up_at is None:
        return redirect("workspaces:company-setup")
    return _render_home(request)


@never_cache
@require_http_methods(["GET", "POST"])
@works_member_required
def company_setup(request: HttpRequest) -> HttpResponse:
    """Company info: set up after the first login (SPEC 5.1 step 5, 7.2), edited later from the same page."""
    workspace: Workspace = request.works_member.workspace
    first_time = workspace.company_set_up_at is None
    initial = {
        "company_name": workspace.company_name,
        "company_phone": workspace.company_phone,
        "company_address": workspace.company_address,
    }
    form = CompanyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.workspace_update_company(
                workspace=workspace,
                company_name=form.cleaned_data["company_name"],
                company_phone=form.cleaned_data["company_phone"],  # parsed in its chosen country
                company_address=form.cleaned_data["company_address"],
                now=timezone.now(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Company info saved."))
            return redirect("workspaces:home")
    return render(
        request,
        "workspaces/company_setup.html",
        {"form": form, "workspace": workspace, "member": request.works_member, "first_time": first_time},
    )


# --- Members, units, groups (SPEC 7.2) ------------------------------------------------------------------------


@sensitive_post_parameters("member-password")
@require_POST
@works_member_required
def member_add(request: HttpRequest) -> HttpResponse:
    workspace = request.works_member.workspace
    form = MemberAddForm(request.POST, workspace=workspace)
    added = _("Member %(account_id)s added.")
    return _add(request, form, directory.member_add, added, "member_form", workspace=workspace, now=timezone.now())


def _add(request: HttpRequest, form, add, done: str, shown_as: str, **arguments) -> HttpResponse:
    """An add form of the home page: ``add`` on its data, then home with ``done`` (its %(name)s or %(account_id)s
    filled in from what was added); a refusal is shown at the field it names, on the home page again."""
    if form.is_valid():
        try:
            created = add(**arguments, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, done % _names_of(created))
            return redirect("workspaces:home")
    return _render_home(request, **{shown_as: form})


def _names_of(row) -> dict[str, str]:
    """What a home-page message says of a member, unit or group: its %(name)s, and a member's %(account_id)s."""
    return {"name": row.name, "account_id": unicode_name(getattr(row, "account_id", ""))}


def _own(request: HttpRequest, model, pk: int):
    """A member (not removed), unit or group of the signed-in member's workspace, or 404."""
    rows = Member.objects.live() if model is Member else model.objects.all()
    return get_object_or_404(rows.select_related("workspace"), pk=pk, workspace=request.works_member.workspace)


def _confirm(request: HttpRequest, confirmation, *, fields: dict[str, str] | None = None) -> HttpResponse:
    """The confirmation page of a destructive action posted without ``confirmed=1`` (works_console/confirm.py)."""
    member: Member = request.works_member
    return confirmation.page(
        request,
        template="workspaces/confirm.html",
        back_url=reverse("workspaces:home"),
        fields=fields,
        context={"member": member, "workspace": member.workspace},
    )


def _run(request: HttpRequest, action, success_message: str) -> HttpResponse:
    """Run a service that has no form; a refusal becomes an error message on the home page."""
    try:
        action()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, success_message)
    return redirect("workspaces:home")


def _remove(request: HttpRequest, row, question, done: str, remove) -> HttpResponse:
    """A remove button of the home page: asked first (``question`` of the row, SPEC 10), then ``remove()`` and
    home with ``done`` (its %(name)s or %(account_id)s filled in from the row)."""
    if not is_confirmed(request):
        return _confirm(request, question(row))
    return _run(request, remove, done % _names_of(row))


@require_POST
@works_member_required
def member_remove(request: HttpRequest, member_id: int) -> HttpResponse:
    target = _own(request, Member, member_id)
    removed = _("Member %(account_id)s removed.")
    return _remove(
        request,
        target,
        confirmations.member_remove,
        removed,
        lambda: directory.member_remove(member=target, now=timezone.now()),
    )


@require_POST
@works_member_required
def unit_add(request: HttpRequest) -> HttpResponse:
    workspace = request.works_member.workspace
    form = OrgUnitAddForm(request.POST, workspace=workspace)
    return _add(request, form, directory.org_unit_add, _("Unit “%(name)s” added."), "unit_form", workspace=workspace)


@require_POST
@works_member_required
def unit_remove(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = _own(request, OrgUnit, unit_id)
    removed = _("Unit “%(name)s” removed.")
    return _remove(request, unit, confirmations.unit_remove, removed, lambda: directory.org_unit_remove(org_unit=unit))


@require_POST
@works_member_required
def group_add(request: HttpRequest) -> HttpResponse:
    workspace = request.works_member.workspace
    form = WorkGroupAddForm(request.POST)
    added = _("Group “%(name)s” added.")
    return _add(request, form, directory.work_group_add, added, "group_form", workspace=workspace)


def _group(request: HttpRequest, group_id: int) -> WorkGroup:
    return _own(request, WorkGroup, group_id)


@require_POST
@works_member_required
def group_remove(request: HttpRequest, group_id: int) -> HttpResponse:
    group = _group(request, group_id)
    removed = _("Group “%(name)s” removed.")
    return _remove(
        request, group, confirmations.group_remove, removed, lambda: directory.work_group_remove(work_group=group)
    )


def _change_membership(request: HttpRequest, group: WorkGroup, target: Member, change, done: str) -> HttpResponse:
    """Add ``target`` to ``group`` or take it out (``change``, a directory service), then home with ``done``
    (its %(account_id)s and %(name)s filled in from the member and the group)."""
    said = {"account_id": unicode_name(target.account_id), "name": group.name}
    return _run(request, lambda: change(work_group=group, member=target), done % said)


@require_POST
@works_member_required
def group_member_add(request: HttpRequest, group_id: int) -> HttpResponse:
    group = _group(request, group_id)
    form = GroupMemberForm(request.POST, workspace=group.workspace)
    if not form.is_valid():
        messages.error(request, _("Choose a member to add to the group “%(name)s”.") % {"name": group.name})
        return redirect("workspaces:home")
    added = _("%(account_id)s added to “%(name)s”.")
    return _change_membership(request, group, form.cleaned_data["member"], directory.work_group_add_member, added)


@require_POST
@works_member_required
def group_member_remove(request: HttpRequest, group_id: int, member_id: int) -> HttpResponse:
    group = _group(request, group_id)
    target = get_object_or_404(
        Member.objects.live().select_related("workspace"), pk=member_id, workspace=group.workspace
    )
    removed = _("%(account_id)s removed from “%(name)s”.")
    return _change_membership(request, group, target, directory.work_group_remove_member, removed)


# --- Group name, domain, export (SPEC 7.2, 7.3) ---------------------------------------------------------------


@require_POST
@works_member_required
def rename(request: HttpRequest) -> HttpResponse:
    workspace, now = request.works_member.workspace, timezone.now()
    # Every rule first (the name's, 24 hours, unique): a name that cannot be taken is refused at the field, and
    # the confirmation then names the new one (issue 20).
    form = RenameForm(request.POST, workspace=workspace, now=now)
    if form.is_valid() and not is_confirmed(request):
        new_name = form.cleaned_data["new_name"]
        return _confirm(request, confirmations.rename(new_name), fields={form.add_prefix("new_name"): new_name})
    if form.is_valid():
        try:
            renamed = subscription_rename_workspace(
                workspace=workspace, new_name=form.cleaned_data["new_name"], now=now
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("The group name is now %(name)s. Your account ID is %(account_id)s.")
                % {"name": renamed.name, "account_id": f"{request.works_member.login_id}@{renamed.name}"},
            )
            return redirect("workspaces:home")
    return _render_home(request, rename_form=form)


@require_POST
@works_member_required
def verify_domain(request: HttpRequest) -> HttpResponse:
    workspace = request.works_member.workspace
    done = _("The domain %(domain)s is verified. Every member can log in now.") % {
        "domain": unicode_name(workspace.name)
    }
    return _run(request, lambda: services.workspace_verify_domain(workspace=workspace, now=timezone.now()), done)


def _export_response(workspace: Workspace) -> HttpResponse:
    data = workspace_export_data(workspace=workspace, now=timezone.now())
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = content_disposition_header(True, f"{workspace.name}-export.json")
    # Personal data: never kept by a shared cache or the browser's.
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@works_member_required
def export(request: HttpRequest) -> HttpResponse:
    return _export_response(request.works_member.workspace)


@login_required
@require_GET
def customer_export(request: HttpRequest, public_id: str) -> HttpResponse:
    """SPEC 7.3: the customer downloads the workspace data from My Product, any time before the purge."""
    subscription = get_object_or_404(
        Subscription.objects.owned_by(request.user).select_related("workspace"), public_id=public_id
    )
    if subscription.workspace is None:
        messages.error(
            request,
            _("The data of %(name)s has been deleted for good; there is nothing left to export.")
            % {"name": subscription.name},
        )
        return redirect("subscriptions:my-product")
    return _export_response(subscription.workspace)

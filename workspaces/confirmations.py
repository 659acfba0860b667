"""The questions NAVER WORKS Admin's destructive actions ask before acting (SPEC 10, issue 12)."""

from django.utils.translation import gettext as _

from works_console.confirm import Confirmation

from .models import Member, OrgUnit, WorkGroup
from .validators import unicode_name


def member_remove(member: Member) -> Confirmation:
    return Confirmation(
        title=_("Remove member %(account_id)s?") % {"account_id": unicode_name(member.account_id)},
        message=_("The member can no longer log in and leaves every group. This cannot be undone."),
        button=_("Remove"),
    )


def unit_remove(unit: OrgUnit) -> Confirmation:
    return Confirmation(
        title=_("Remove unit %(name)s?") % {"name": unit.name},
        message=_("Its members stay in the workspace, without a unit. This cannot be undone."),
        button=_("Remove"),
    )


def group_remove(group: WorkGroup) -> Confirmation:
    return Confirmation(
        title=_("Remove group %(name)s?") % {"name": group.name},
        message=_("The group is deleted; its members stay in the workspace. This cannot be undone."),
        button=_("Remove"),
    )


def rename(new_name: str) -> Confirmation:
    """Asked once the new name passed every rule (issue 20), so it names the change that will happen."""
    return Confirmation(
        title=_("Rename to %(name)s?") % {"name": new_name},
        message=_(
            "You cannot change it again for 24 hours. Every account ID of this workspace will end with %(name)s, "
            "and the old name becomes free for others."
        )
        % {"name": new_name},
        button=_("Change group name"),
    )


# The questions a form carries for the modal (the rename asks the server first: it needs the name checked).
QUESTIONS = {
    "member_remove": member_remove,
    "unit_remove": unit_remove,
    "group_remove": group_remove,
}

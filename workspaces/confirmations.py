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


def rename(_workspace=None) -> Confirmation:
    return Confirmation(
        title=_("Change the group name?"),
        message=_(
            "Every account ID of this workspace changes to end with the new name, the old name becomes free for "
            "others, and the name cannot change again for 24 hours."
        ),
        button=_("Change group name"),
    )


QUESTIONS = {
    "member_remove": member_remove,
    "unit_remove": unit_remove,
    "group_remove": group_remove,
    "rename": rename,
}

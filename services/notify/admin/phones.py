"""Numbers in the notify admin (messages, replies, opt-outs) follow the one rule of who sees a
full number (policy: SEE_FULL_PHONE); every other reader gets 138****5678."""

from services.directory import api as directory
from services.directory.admin_site import ModelAdminMixin


def sees_full_phone(request) -> bool:
    """Outside a case's page the rule is the role's: the command room, who calls back. The
    platform operator sees every number, as everywhere in the admin."""
    if request.user.is_superuser:
        return True
    staff = getattr(request, "staff", None) or directory.staff_info(request.user)
    return directory.policy.can(staff, directory.Capability.SEE_FULL_PHONE)


class MaskedNumbers(ModelAdminMixin):
    """On the detail page, each field of `masked_fields` (field → masked display) is swapped
    for its masked display when the reader may not see the number whole. Adding a row (an
    opt-out taken on the phone) still types the number in full."""

    masked_fields: dict[str, str] = {}

    def _swap(self, request, obj, names) -> list[str]:
        if obj is None or sees_full_phone(request):
            return list(names)
        return [self.masked_fields.get(name, name) for name in names]

    def get_fields(self, request, obj=None):
        return self._swap(request, obj, super().get_fields(request, obj))

    def get_readonly_fields(self, request, obj=None):
        readonly = self._swap(request, obj, list(super().get_readonly_fields(request, obj)))
        if obj is not None and not sees_full_phone(request):
            readonly += [m for m in self.masked_fields.values() if m not in readonly]
        return readonly

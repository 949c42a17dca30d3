"""The SMS outbox as operators see it: what failed and why, what needs a human (待人工核实)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from services.privacy import mask_phone

from ..models import InboundMessage, Message
from ..outbox import confirm_sent_by_operator, requeue_by_operator
from .phones import MaskedNumbers


class _ReadOnly:
    """Records the system writes: nobody adds, edits or deletes them by hand."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ProblemFilter(admin.SimpleListFilter):
    title = _("问题")
    parameter_name = "problem"

    def lookups(self, request, model_admin):
        return [
            ("attention", _("需处理（失败、未送达、待核实）")),
            ("retrying", _("重试中")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "attention":
            return queryset.filter(
                state__in=[Message.State.FAILED, Message.State.UNDELIVERED, Message.State.REVIEW]
            )
        if self.value() == "retrying":
            return queryset.filter(state=Message.State.QUEUED, attempts__gt=0)
        return queryset


@admin.register(Message)
class MessageAdmin(MaskedNumbers, _ReadOnly, admin.ModelAdmin):
    masked_fields = {"to": "recipient"}
    list_display = (
        "created_at",
        "purpose",
        "recipient",
        "case_id",
        "state",
        "attempts",
        "next_attempt_at",
        "error_code",
        "error",
    )
    list_filter = (ProblemFilter, "state", "purpose", "error_code", "urgent")
    search_fields = ("=provider_id", "=idempotency_key", "=case_id", "=to")
    date_hierarchy = "created_at"
    fields = (
        "purpose",
        "case_id",
        "to",
        "sender",
        "body",
        "params",
        "state",
        "urgent",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "needs_lookup",
        "provider_id",
        "error_code",
        "last_error",
        "idempotency_key",
        "created_at",
        "sent_at",
        "updated_at",
    )
    readonly_fields = fields
    actions = ["requeue", "confirm_sent"]

    @admin.display(description=_("收件号码"))
    def recipient(self, obj: Message) -> str:
        return mask_phone(obj.to)

    @admin.display(description=_("错误"))
    def error(self, obj: Message) -> str:
        return obj.last_error[:80]

    # Operator decisions on records: they need the change permission, which the read-only
    # record admin otherwise withholds from the form.
    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and request.user.has_perm("notify.change_message")

    @admin.action(description=_("确认未发出，重新发送（先向服务商核实）"), permissions=["change"])
    def requeue(self, request, queryset) -> None:
        done = requeue_by_operator(list(queryset.values_list("pk", flat=True)), str(request.user))
        self.message_user(request, _("已重新排队 %(n)d 条短信。") % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("确认已发出（待人工核实的短信）"), permissions=["change"])
    def confirm_sent(self, request, queryset) -> None:
        done = confirm_sent_by_operator(
            list(queryset.values_list("pk", flat=True)), str(request.user)
        )
        self.message_user(request, _("已确认 %(n)d 条短信已发出。") % {"n": done}, messages.SUCCESS)


@admin.register(InboundMessage)
class InboundMessageAdmin(MaskedNumbers, _ReadOnly, admin.ModelAdmin):
    masked_fields = {"sender": "masked_sender"}
    list_display = ("received_at", "masked_sender", "body", "outcome", "survey")
    list_filter = ("outcome",)
    search_fields = ("=provider_id", "=sender")
    fields = ("provider_id", "sender", "body", "outcome", "survey", "received_at")
    readonly_fields = fields

    @admin.display(description=_("发件号码"))
    def masked_sender(self, obj: InboundMessage) -> str:
        return mask_phone(obj.sender)

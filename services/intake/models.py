"""Scenarios, QR entry points, cases and their timeline. Intake owns the case workflow."""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.dispatch import receiver
from django.utils import timezone
from django.utils.functional import LazyObject, Promise, empty
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_scopes import ScopedManager
from simple_history.models import HistoricalRecords

from services.privacy import keep_hash_in_step

from .states import OPEN_STATES, CaseState
from .timeline import note_text


class _PrivateStorage(LazyObject):
    """The "private" storage, looked up when first used (and again after settings change)."""

    def _setup(self) -> None:
        self._wrapped = storages["private"]


private_storage = _PrivateStorage()


@receiver(setting_changed)
def _storages_changed(*, setting: str, **kwargs) -> None:
    if setting == "STORAGES":
        private_storage._wrapped = empty  # type: ignore[assignment]  # LazyObject's "reset"


def _private_storage():
    """Photos live apart from public media: no URL serves them except a permission-checked view."""
    return private_storage


def new_token() -> str:
    """Short, unguessable, URL-safe (≈60 bits): what a QR code or private link carries."""
    return secrets.token_urlsafe(8)


class Scenario(models.Model):
    """A kind of problem citizens report (场景), e.g. 欠薪 wage arrears, with its own fields."""

    tenant = models.ForeignKey("directory.Tenant", on_delete=models.CASCADE, verbose_name=_("平台"))
    code = models.SlugField(_("代码"))
    name = models.CharField(_("名称"), max_length=50)
    intro = models.TextField(_("说明"), blank=True, help_text=_("显示在市民表单顶部"))
    active = models.BooleanField(_("启用"), default=True)
    max_photos = models.PositiveSmallIntegerField(
        _("照片上限"),
        default=3,
        validators=[MaxValueValidator(9)],
        help_text=_("市民最多可上传的照片张数；0 表示不收照片"),
    )
    promise_days = models.PositiveSmallIntegerField(
        _("承诺答复时限（工作日）"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("显示在市民的受理回执上"),
    )

    confidential = models.BooleanField(
        _("举报类（保密）"),
        default=False,
        help_text=_(
            "如医保违规举报：举报人的姓名、电话和照片仅指挥室、承办部门和受理人可见，"
            "受理窗口只能查看自己受理或市民凭受理编号和手机号出示的案件"
        ),
    )

    objects = ScopedManager(tenant="tenant")

    history = HistoricalRecords(verbose_name=_("修改历史"))

    class Meta:
        verbose_name = _("场景")
        verbose_name_plural = _("场景")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="scenario_code_per_tenant")
        ]

    def __str__(self) -> str:
        return self.name


# Names the submission form already uses for itself; a declared field may not shadow them.
RESERVED_FIELD_NAMES = frozenset(
    {"description", "reporter_phone", "reporter_name", "photos", "csrfmiddlewaretoken", "scenario"}
)


class ScenarioField(models.Model):
    """One extra field a scenario asks for, declared as data and validated on every channel.

    Limits: text lengths by `max_length`; numbers by `min_value`/`max_value`; dates by
    `min_value`/`max_value` read as days relative to the day of submission (e.g. -365 and 0:
    within the last year, not in the future).
    """

    class Kind(models.TextChoices):
        TEXT = "text", _("单行文本")
        TEXTAREA = "textarea", _("多行文本")
        INTEGER = "integer", _("整数")
        DECIMAL = "decimal", _("金额/小数")
        DATE = "date", _("日期")
        CHOICE = "choice", _("单选")
        MULTICHOICE = "multichoice", _("多选")

    CHOICE_KINDS = frozenset({Kind.CHOICE, Kind.MULTICHOICE})
    NUMBER_KINDS = frozenset({Kind.INTEGER, Kind.DECIMAL, Kind.DATE})
    TEXT_KINDS = frozenset({Kind.TEXT, Kind.TEXTAREA})

    scenario = models.ForeignKey(
        Scenario, on_delete=models.CASCADE, related_name="fields", verbose_name=_("场景")
    )
    name = models.SlugField(_("字段名"), help_text=_("英文小写，如 employer_name"))
    label = models.CharField(_("显示名称"), max_length=50)
    help_text = models.CharField(_("填写提示"), max_length=200, blank=True)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices, default=Kind.TEXT)
    required = models.BooleanField(_("必填"), default=False)
    choices = models.JSONField(
        _("选项"), default=list, blank=True, help_text=_("单选/多选字段的选项列表")
    )
    min_value = models.DecimalField(
        _("最小值"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("最大值"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    max_length = models.PositiveIntegerField(
        _("最大长度"), default=200, validators=[MinValueValidator(1), MaxValueValidator(5000)]
    )
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    history = HistoricalRecords(verbose_name=_("修改历史"))

    class Meta:
        verbose_name = _("场景字段")
        verbose_name_plural = _("场景字段")
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["scenario", "name"], name="field_name_per_scenario")
        ]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        """Refuses a declaration the submission form could not honour."""
        errors: dict[str, str | Promise] = {}
        if self.name in RESERVED_FIELD_NAMES:
            errors["name"] = _("“%(name)s”是系统保留字段名，请换一个。") % {"name": self.name}
        if self.kind in self.CHOICE_KINDS:
            options = self.choices if isinstance(self.choices, list) else None
            if (
                not options
                or not all(isinstance(c, str) and c.strip() for c in options)
                or len(set(options)) != len(options)
            ):
                errors["choices"] = _("单选/多选字段需要至少一个选项，选项不能为空或重复。")
        elif self.choices:
            errors["choices"] = _("只有单选/多选字段可以设置选项。")
        if self.kind in self.NUMBER_KINDS:
            if (
                self.min_value is not None
                and self.max_value is not None
                and self.min_value > self.max_value
            ):
                errors["max_value"] = _("最大值不能小于最小值。")
            if self.kind in (self.Kind.INTEGER, self.Kind.DATE):
                for attr in ("min_value", "max_value"):
                    value = getattr(self, attr)
                    if value is not None and value != value.to_integral_value():
                        errors[attr] = _("整数和日期字段的界限必须是整数。")
        elif self.min_value is not None or self.max_value is not None:
            errors["min_value"] = _("只有整数、小数和日期字段可以设置最小值/最大值。")
        if errors:
            raise ValidationError(errors)


class EntryPoint(models.Model):
    """One printed QR code (二维码入口): a scenario, optionally a place, and an unguessable token."""

    tenant = models.ForeignKey("directory.Tenant", on_delete=models.CASCADE, verbose_name=_("平台"))
    scenario = models.ForeignKey(Scenario, on_delete=models.PROTECT, verbose_name=_("场景"))
    region = models.ForeignKey(
        "directory.Region",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=_("区域"),
    )
    place_label = models.CharField(
        _("张贴地点"), max_length=100, blank=True, help_text=_("例如：新河镇 XX小学 校门口")
    )
    token = models.CharField(
        _("令牌"), max_length=16, unique=True, default=new_token, editable=False
    )
    # WGS-84 degrees of where the poster hangs; a case from it without a location of its own
    # takes these (services/intake/location.py).
    latitude = models.FloatField(_("纬度"), null=True, blank=True)
    longitude = models.FloatField(_("经度"), null=True, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    # Tallies of the releases before scans were appended (EntryPointScan) and submissions were
    # counted from cases: no longer written. They stay while old pods of a rolling update may
    # still write them; the scans tallied here count with the rows (api.entry_point_counts).
    scan_count = models.PositiveIntegerField(_("扫码次数（旧计数）"), default=0, editable=False)
    submission_count = models.PositiveIntegerField(
        _("提交次数（旧计数）"), default=0, editable=False
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("二维码入口")
        verbose_name_plural = _("二维码入口")

    def __str__(self) -> str:
        return f"{self.scenario.name} · {self.place_label or self.token}"

    def clean(self) -> None:
        """A code's scenario and region must be its own tenant's."""
        errors = {}
        if self.scenario_id and self.tenant_id and self.scenario.tenant_id != self.tenant_id:
            errors["scenario"] = _("所选场景不属于本平台。")
        region = self.region if self.region_id else None
        if region is not None and self.tenant_id and region.tenant_id != self.tenant_id:
            errors["region"] = _("所选区域不属于本平台。")
        if errors:
            raise ValidationError(errors)


class EntryPointScan(models.Model):
    """One scan of a code (扫码): appended, never updated, counted when staff look.

    A counter column on the entry point would be one row every scan of a busy poster locks.
    """

    entry_point = models.ForeignKey(
        EntryPoint, on_delete=models.CASCADE, related_name="scans", verbose_name=_("入口")
    )
    scanned_at = models.DateTimeField(_("扫码时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("扫码记录")
        verbose_name_plural = _("扫码记录")

    def __str__(self) -> str:
        return f"{self.entry_point_id} @ {self.scanned_at:%Y-%m-%d %H:%M}"


class Case(ConcurrentTransitionMixin, models.Model):
    """A citizen's request (案件), from intake (受理) to closure, with its full timeline."""

    class Channel(models.TextChoices):
        QR = "qr", _("扫码")
        DESK = "desk", _("窗口")
        API = "api", _("接口")

    class Priority(models.IntegerChoices):
        NORMAL = 0, _("一般")
        URGENT = 1, _("紧急")

    tenant = models.ForeignKey("directory.Tenant", on_delete=models.CASCADE, verbose_name=_("平台"))
    tracking_number = models.CharField(_("受理编号"), max_length=20)
    access_key = models.CharField(max_length=16, default=new_token, editable=False, unique=True)
    scenario = models.ForeignKey(Scenario, on_delete=models.PROTECT, verbose_name=_("场景"))
    entry_point = models.ForeignKey(
        EntryPoint, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("入口")
    )
    region = models.ForeignKey(
        "directory.Region",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=_("区域"),
    )
    place_label = models.CharField(_("地点"), max_length=100, blank=True)
    # WGS-84 degrees (services/intake/location.py owns the rule); null when nobody said where.
    latitude = models.FloatField(_("纬度"), null=True, blank=True)
    longitude = models.FloatField(_("经度"), null=True, blank=True)
    description = models.TextField(_("问题描述"))
    extra = models.JSONField(_("场景信息"), default=dict, blank=True)
    reporter_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    # HMAC of reporter_phone (services.privacy.phone_hash): what every lookup by phone compares,
    # so no lookup reads or compares the number itself. Kept in step by save().
    reporter_phone_hash = models.CharField(max_length=64, blank=True, editable=False)
    reporter_name = models.CharField(_("联系人"), max_length=50, blank=True)
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    priority = models.SmallIntegerField(
        _("优先级"), choices=Priority.choices, default=Priority.NORMAL
    )
    intake_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("受理人"),
    )
    department = models.ForeignKey(
        "directory.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=_("承办部门"),
    )
    # 承办人: the one officer of the lead department a nearest-officer rule chose (就近派遣);
    # empty when the department as a whole has it. A new department clears it.
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("承办人"),
    )
    state = FSMField(
        _("状态"),
        default=CaseState.SUBMITTED,
        choices=CaseState.choices,
        protected=True,
        db_index=True,
    )
    result = models.TextField(_("办理结果"), blank=True)
    rating = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    escalated = models.BooleanField(_("已督办"), default=False)
    possible_duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("疑似重复"),
        help_text=_("与之相似的未办结案件，请核实；市民的提交不受影响"),
    )
    created_at = models.DateTimeField(_("受理时间"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    # Set when the retention period removed the reporter's personal data (retention.py).
    anonymised_at = models.DateTimeField(_("匿名化时间"), null=True, blank=True, editable=False)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("案件")
        verbose_name_plural = _("案件")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "tracking_number"], name="tracking_number_per_tenant"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "department", "state"]),
            # The citizen's status lookup knows the number, not the tenant.
            models.Index(fields=["tracking_number"], name="case_tracking_number"),
            # The desk's "earlier cases of this caller" and the staff search by phone.
            models.Index(fields=["tenant", "reporter_phone_hash"], name="case_tenant_phone_hash"),
            # Possible-duplicate candidates: same scenario, recent.
            models.Index(fields=["tenant", "scenario", "created_at"], name="case_scenario_recent"),
        ]

    def __str__(self) -> str:
        return self.tracking_number

    def save(self, *args, **kwargs) -> None:
        # Whatever path changed the number (a form, the admin, the API), its hash follows.
        keep_hash_in_step(self, "reporter_phone", "reporter_phone_hash", kwargs)
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    # Transitions change state only; who may take them, the timeline row and the event are the
    # service layer's job (services.transition), so every path records the same way.
    @transition(state, source=CaseState.SUBMITTED, target=CaseState.ASSIGNED)
    def route(self) -> None:
        """分拨: a routing rule assigned a department."""

    @transition(state, source=CaseState.SUBMITTED, target=CaseState.NEEDS_DISPATCH)
    def hold_for_dispatch(self) -> None:
        """No rule matched: waits for the command room (待人工派单)."""

    @transition(state, source=CaseState.NEEDS_DISPATCH, target=CaseState.ASSIGNED)
    def dispatch(self) -> None:
        """派单: a dispatcher assigned a department by hand."""

    @transition(state, source=CaseState.ASSIGNED, target=CaseState.IN_PROGRESS)
    def sign_for(self) -> None:
        """签收: the department accepts the case."""

    @transition(
        state, source=[CaseState.ASSIGNED, CaseState.IN_PROGRESS], target=CaseState.SUBMITTED
    )
    def return_case(self) -> None:
        """退回: not this department's case; routing tries again."""

    @transition(
        state, source=[CaseState.IN_PROGRESS, CaseState.RESOLVED], target=CaseState.ASSIGNED
    )
    def reassign(self) -> None:
        """改派: a dispatcher moves the case to another department, also after 办结 when
        supervision (督办) finds the first department could not settle it."""

    @transition(state, source=CaseState.IN_PROGRESS, target=CaseState.RESOLVED)
    def resolve(self) -> None:
        """办结: the department records its result."""

    @transition(state, source=CaseState.RESOLVED, target=CaseState.CLOSED)
    def close(self) -> None:
        """结案: the citizen is satisfied, or the survey window passed."""

    @transition(state, source=CaseState.RESOLVED, target=CaseState.IN_PROGRESS)
    def reopen(self) -> None:
        """重办: the citizen is dissatisfied; back to the same department."""

    @transition(state, source=CaseState.RESOLVED, target=CaseState.CLOSED)
    def close_by_dispatcher(self) -> None:
        """说明结案: the command room closes a resolved case with an explanation the citizen
        sees (e.g. the citizen cannot be reached, or supervision found the result sound)."""

    @transition(
        state,
        source=[CaseState.RESOLVED, CaseState.CLOSED],
        target=CaseState.IN_PROGRESS,
        conditions=[lambda case: case.department_id is not None],  # type: ignore[attr-defined]
    )
    def reopen_by_dispatcher(self) -> None:
        """指挥室重办: the command room sends a resolved or closed case back to its department."""

    @transition(state, source=OPEN_STATES, target=CaseState.CLOSED)
    def invalidate(self) -> None:
        """作废: spam or a duplicate of another case."""


class CaseCoHandler(models.Model):
    """协同处置: a department that co-handles a case beside the lead department (承办部门).

    Intake owns who handles a case, lead and co-handlers, so the rule of who may read it reads
    only intake's tables; routing decides and asks intake to assign (api.assign)."""

    tenant = models.ForeignKey("directory.Tenant", on_delete=models.CASCADE)
    case = models.ForeignKey(
        "Case", on_delete=models.CASCADE, related_name="co_handlers", verbose_name=_("案件")
    )
    department = models.ForeignKey(
        "directory.Department",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("协同部门"),
    )
    added_at = models.DateTimeField(_("加入时间"), auto_now_add=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("协同部门")
        verbose_name_plural = _("协同部门")
        constraints = [
            models.UniqueConstraint(fields=["case", "department"], name="case_co_handler_once")
        ]
        indexes = [models.Index(fields=["department", "case"])]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.department}"


class CaseEvent(models.Model):
    """One row of a case's append-only timeline (全程留痕): who did what, when, from → to."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="timeline", verbose_name=_("案件")
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("操作人"),
    )
    actor_label = models.CharField(_("操作方"), max_length=50)
    action = models.CharField(_("动作"), max_length=30)
    from_state = models.CharField(_("原状态"), max_length=20, blank=True)
    to_state = models.CharField(_("新状态"), max_length=20, blank=True)
    note = models.TextField(_("说明"), blank=True)
    # The values of a system-written note, which is stored untranslated (see timeline.py).
    note_params = models.JSONField(default=dict, blank=True, editable=False)
    public = models.BooleanField(_("市民可见"), default=True)

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        # Shown above each row of the admin's timeline: a time reads the same in any language.
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M}" if self.at else ""

    @property
    def note_text(self) -> str:
        """The note in the reader's language (system notes) or as typed."""
        return note_text(self.note, self.note_params)


def _photo_path(photo: "CasePhoto", filename: str) -> str:
    # Token-named, never the citizen's own file name (it can carry personal data); `filename`
    # is ours ("full.jpg" / "thumb.jpg").
    return f"cases/{photo.tenant_id}/{photo.token}-{filename}"


class CasePhoto(models.Model):
    """A photo attached to a case, re-encoded on intake (no EXIF, no location), with a
    thumbnail. Stored in the private storage and served only to its tenant's staff."""

    tenant = models.ForeignKey("directory.Tenant", on_delete=models.CASCADE, verbose_name=_("平台"))
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="photos", verbose_name=_("案件")
    )
    token = models.CharField(max_length=16, unique=True, default=new_token, editable=False)
    image = models.FileField(_("照片"), upload_to=_photo_path, storage=_private_storage)
    thumbnail = models.FileField(_("缩略图"), upload_to=_photo_path, storage=_private_storage)
    width = models.PositiveIntegerField(_("宽"))
    height = models.PositiveIntegerField(_("高"))
    size = models.PositiveIntegerField(_("大小（字节）"))
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = _("照片")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return f"{self.case} #{self.order + 1}"


def _result_file_path(attachment: "ResultFile", filename: str) -> str:
    # Token-named like citizens' photos; `filename` is ours ("full.jpg", "thumb.jpg", "doc.pdf").
    return f"cases/{attachment.tenant_id}/results/{attachment.token}-{filename}"


class ResultFile(models.Model):
    """A photo or PDF document staff attach to their result (办理结果附件). Checked like
    citizens' photos, kept in the private storage, shown to staff who may read the case and,
    when `public`, to the citizen through the case's private link."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("照片")
        DOCUMENT = "document", _("文件")

    tenant = models.ForeignKey("directory.Tenant", on_delete=models.CASCADE, verbose_name=_("平台"))
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="result_files", verbose_name=_("案件")
    )
    token = models.CharField(max_length=16, unique=True, default=new_token, editable=False)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    file = models.FileField(_("文件"), upload_to=_result_file_path, storage=_private_storage)
    thumbnail = models.FileField(
        _("缩略图"), upload_to=_result_file_path, storage=_private_storage, blank=True
    )
    name = models.CharField(_("文件名"), max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))
    public = models.BooleanField(_("市民可见"), default=True)
    # The resolution round (Case.reopen_count when resolved) the file belongs to.
    round = models.PositiveSmallIntegerField(_("轮次"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("上传人"),
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("办理结果附件")
        verbose_name_plural = _("办理结果附件")
        ordering = ["round", "pk"]

    def __str__(self) -> str:
        return self.name

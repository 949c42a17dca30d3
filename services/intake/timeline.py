"""The timeline's wording (办理记录): what each row's action is called, and its note in the
reader's language.

Notes the system writes (已受理, 按规则…分拨, 市民评价…) are stored as their catalogue message,
the Chinese source text, with their values kept apart in CaseEvent.note_params, and are
translated when read: a row written while English was active reads in Chinese on a Chinese
page, and every row reads in English on an English one. Notes people type are stored and shown
as typed.
"""

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# Timeline rows that are not transitions (the transitions name themselves: TRANSITIONS).
EVENT_LABELS = {
    "submit": _("受理"),
    "note": _("内部备注"),
    "escalate": _("督办"),
    "overdue": _("超期"),
    "possible_duplicate": _("疑似重复"),
    "extension_requested": _("申请延期"),
    "extension_decided": _("延期审批"),
    "anonymise": _("删除个人信息"),
    "nearest_officer": _("就近派遣"),
}

# Transitions whose note is a reply to the citizen (受理, 办理结果, 评价, 说明结案). The notes of other
# transitions (return reasons, routing explanations) stay with staff: the citizen sees only the
# state change. Notes that change no state are shown when they were recorded as public.
PUBLIC_NOTE_ACTIONS = frozenset({"submit", "resolve", "close", "reopen", "close_by_dispatcher"})

# note_params key listing the values that are catalogue messages themselves (a deadline's
# name, a time unit), translated with the note.
_TRANSLATED = "_translated"


@dataclass(frozen=True)
class SystemNote:
    """A note the system writes: `message` is marked with gettext_noop where it is written;
    `values` fill its %(name)s placeholders; those named in `translated` are catalogue
    messages too."""

    message: str
    values: dict[str, Any] = field(default_factory=dict)
    translated: tuple[str, ...] = ()

    def stored(self) -> tuple[str, dict[str, Any]]:
        """(note, note_params) as a CaseEvent keeps them."""
        params = dict(self.values)
        if self.translated:
            params[_TRANSLATED] = list(self.translated)
        return self.message, params

    def __str__(self) -> str:
        return note_text(*self.stored())


Note = str | SystemNote


def stored_note(note: Note) -> tuple[str, dict[str, Any]]:
    """(note, note_params) for what a caller passed: typed text as it is, a SystemNote apart."""
    if isinstance(note, SystemNote):
        return note.stored()
    return str(note), {}


def note_text(note: str, params: dict[str, Any] | None) -> str:
    """The note in the active language. Typed notes (no params) come back as typed, unless
    they are a system message from before notes were stored this way."""
    if not note:
        return ""
    if not params:
        return gettext(note)
    values = {k: v for k, v in params.items() if k != _TRANSLATED}
    for name in params.get(_TRANSLATED, ()):
        values[name] = gettext(str(values.get(name, "")))
    try:
        return gettext(note) % values
    except (KeyError, TypeError, ValueError):  # a catalogue entry that lost a placeholder
        return note % values


def actor_text(label: str) -> str:
    """Who acted: a person's name as stored, 系统 / 市民 in the reader's language."""
    return gettext(label) if label else ""


def action_label(action: str, transition_labels: dict[str, Any]) -> str:
    label = transition_labels.get(action) or EVENT_LABELS.get(action)
    return str(label) if label is not None else action

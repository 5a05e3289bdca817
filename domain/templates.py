"""Notification templates in Russian, as data: one per kind, plus the campaigns' scenarios.

The default book is `DEFAULT_TEMPLATES`; a JSON file of the same shape replaces it
(LEDGER_NOTIFICATION_TEMPLATES). Placeholders are `{name}`; rendering fills every one or
refuses, naming the value that is missing, so no half-filled text ever goes out.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import msgspec

from domain.errors import ValidationError
from domain.notification_values import NotificationChannel, NotificationKind

_C, _K = NotificationChannel, NotificationKind
TemplateId = Annotated[str, msgspec.Meta(pattern=r"^[a-z_]+$")]


class Template(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A subject and a text with `{placeholders}`, and the channels to try, in order."""

    id: TemplateId
    kind: NotificationKind
    channels: tuple[NotificationChannel, ...]
    subject: str
    text: str

    def __post_init__(self) -> None:
        bad = [f for f in self.fields() if not f.isidentifier()]
        if bad:
            raise ValueError(f"template {self.id}: placeholders must be plain names: {bad}")

    def fields(self) -> set[str]:
        """The names the template needs filled."""
        parsed = [*string.Formatter().parse(self.subject), *string.Formatter().parse(self.text)]
        return {name for _, name, _, _ in parsed if name is not None}

    def render(self, values: Mapping[str, str], field: str = "values") -> tuple[str, str]:
        """The subject and the text with every placeholder filled."""
        missing = sorted(self.fields() - set(values))
        if missing:
            raise ValidationError(
                f"template {self.id} needs {', '.join(missing)}", f"{field}.{missing[0]}")
        return self.subject.format_map(values), self.text.format_map(values)


class TemplateBook(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Every template by id; its version is what an operator changed last."""

    version: str
    templates: tuple[Template, ...]

    def get(self, template_id: str, field: str = "template") -> Template:
        """The template with this id, or a VALIDATION error naming the field."""
        for template in self.templates:
            if template.id == template_id:
                return template
        known = ", ".join(t.id for t in self.templates)
        raise ValidationError(f"unknown template {template_id!r}; known: {known}", field)


def load_templates(path: str | Path) -> TemplateBook:
    """The operator's templates from a JSON file shaped like `DEFAULT_TEMPLATES`."""
    try:
        return msgspec.json.decode(Path(path).read_bytes(), type=TemplateBook)
    except msgspec.DecodeError as exc:
        raise type(exc)(f"templates {path}: {exc}") from exc


def _t(id: str, kind: NotificationKind, channels: tuple[NotificationChannel, ...],
       subject: str, text: str) -> Template:
    return Template(id=id, kind=kind, channels=channels, subject=subject, text=text)


_WRITTEN = (_C.EMAIL, _C.SMS, _C.POST)
_ANY = (_C.SMS, _C.EMAIL, _C.PUSH, _C.PHONE, _C.POST)

DEFAULT_TEMPLATES = TemplateBook(version="templates-default-1", templates=(
    _t("survey", _K.SURVEY, (_C.EMAIL,),
       "Оценка качества обслуживания: обращение {reference}, ЛС {account_number}, {date}",
       "Здравствуйте!\n\n{date} вы обращались к нам (обращение {reference}, лицевой счёт "
       "{account_number}). Пожалуйста, оцените качество обслуживания и оставьте "
       "комментарий по ссылке: {survey_link}\n\nСпасибо, что помогаете нам стать лучше."),
    _t("appeal_answer", _K.APPEAL_ANSWER, (_C.EMAIL, _C.POST, _C.PUSH, _C.CHAT),
       "Ответ на обращение № {appeal_number}",
       "Здравствуйте!\n\nОтвет на ваше обращение № {appeal_number}:\n\n{answer}"),
    _t("illegible_notice", _K.ILLEGIBLE_NOTICE, _WRITTEN,
       "Обращение № {appeal_number} не может быть рассмотрено",
       "Здравствуйте! Текст вашего письменного обращения № {appeal_number} "
       "не поддаётся прочтению, поэтому ответ по существу дать нельзя. "
       "Пожалуйста, направьте обращение повторно разборчивым текстом."),
    _t("repeat_notice", _K.REPEAT_NOTICE, _WRITTEN,
       "Обращение № {appeal_number}: ответ уже дан",
       "Здравствуйте! На вопрос вашего обращения № {appeal_number} ответ по существу "
       "уже дан на обращение № {related_appeal_number}. Новых доводов "
       "в обращении нет, поэтому переписка по этому вопросу прекращается."),
    _t("operator_joined", _K.OPERATOR_JOINED, (_C.PUSH, _C.SMS),
       "Оператор подключился к чату",
       "Оператор подключился к вашему обращению № {appeal_number}. "
       "Продолжить диалог: {chat_link}"),
    _t("admission_act", _K.ADMISSION_ACT, (_C.EMAIL, _C.SMS),
       "Акт допуска прибора учёта по договору {account_number}",
       "В личном кабинете по договору {account_number} в разделе «Документы "
       "тех.присоединения» размещён акт допуска прибора учёта № {act_number} от {act_date}."),
    _t("verification_reminder", _K.VERIFICATION_REMINDER, (_C.EMAIL, _C.SMS, _C.PUSH),
       "Напоминание о поверке прибора учёта",
       "Срок поверки прибора учёта № {meter_number} по лицевому счёту {account_number} "
       "истекает {due_date}. Пожалуйста, организуйте поверку."),
    _t("debt", _K.CAMPAIGN, _ANY,
       "Задолженность по лицевому счёту {account_number}",
       "{name}, по лицевому счёту {account_number} задолженность {debt} руб. Пожалуйста, "
       "оплатите её, чтобы избежать ограничения электроснабжения."),
    _t("restriction", _K.CAMPAIGN, _ANY,
       "Предупреждение об ограничении электроснабжения",
       "{name}, в связи с задолженностью {debt} руб. по лицевому счёту {account_number} "
       "с {date} может быть введено ограничение режима потребления электроэнергии."),
    _t("contract_change", _K.CAMPAIGN, _ANY,
       "Изменение условий договора {account_number}",
       "{name}, с {date} изменяются условия договора {account_number}: {change}"),
    _t("payment_due", _K.CAMPAIGN, _ANY,
       "Срок оплаты по лицевому счёту {account_number}",
       "Напоминаем: оплатить {amount} руб. по лицевому счёту {account_number} нужно до "
       "{due_date}."),
    _t("tariff_change", _K.CAMPAIGN, _ANY,
       "Изменение тарифа на электроэнергию",
       "С {date} тариф на электроэнергию составит {tariff} руб. за кВт·ч."),
))  # fmt: skip
"""The templates of every kind (6.1.6, 8.4.6-8.4.7, 9.1.3-9.1.5) and the reminders of 11.7."""

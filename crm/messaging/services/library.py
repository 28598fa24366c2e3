"""Writes of the message library: templates, segments and care messages.

Every service checks who may do it (`permissions.require_manage` for the row's dealer: a dealer's sales
managers and admins, OEM admins for OEM and network rows) and raises a typed error the page shows in the form.
A template or segment that a campaign awaiting approval or sending relies on keeps its content: what a
manager approved is what goes out.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core.exceptions import ConcurrentEdit
from crm.messaging.exceptions import (
    CareProgramInvalid,
    SegmentInUse,
    SegmentInvalid,
    TemplateInUse,
    TemplateInvalid,
)
from crm.messaging.models import Campaign, CareProgram, Channel, MessageTemplate, Purpose, Segment
from crm.messaging.permissions import require_manage
from crm.messaging.registry import care_triggers, segment_filter_get
from crm.messaging.selectors.segments import segment_customers, to_json
from crm.messaging.services.rendering import placeholders_refuse

# Campaigns in these states were (or are being) approved with the template and segment as they are now.
LOCKING_STATUSES = (
    Campaign.Status.PENDING_APPROVAL,
    Campaign.Status.APPROVED,
    Campaign.Status.SENDING,
    Campaign.Status.PAUSED,
)
TEMPLATE_PURPOSES = (Purpose.MARKETING, Purpose.SERVICE)


def _check_version(row, expected_updated_at: datetime | None) -> None:
    if expected_updated_at is not None and row.updated_at != expected_updated_at:
        raise ConcurrentEdit()


# Templates --------------------------------------------------------------------------------------------

TEMPLATE_CONTENT = ("channel", "purpose", "subject_en", "body_en", "subject_zh", "body_zh")


def _template_clean(
    *, name: str, channel: str, purpose: str, subject_en: str, body_en: str, subject_zh: str, body_zh: str
) -> dict:
    """The template's fields, checked: a known channel and purpose, a message in at least one language,
    only placeholders of the vocabulary, and for email a subject for each language that has a message."""
    name = (name or "").strip()
    if not name:
        raise TemplateInvalid(_("Give the template a name."), field="name")
    if channel not in Channel.values:
        raise TemplateInvalid(_("Choose email or SMS."), field="channel")
    if purpose not in TEMPLATE_PURPOSES:
        raise TemplateInvalid(_("Choose marketing or service."), field="purpose")
    texts = {
        "subject_en": (subject_en or "").strip(),
        "body_en": (body_en or "").strip(),
        "subject_zh": (subject_zh or "").strip(),
        "body_zh": (body_zh or "").strip(),
    }
    if channel == Channel.SMS:
        texts["subject_en"] = texts["subject_zh"] = ""  # an SMS has no subject
    if not texts["body_en"] and not texts["body_zh"]:
        raise TemplateInvalid(_("Write the message in English, Chinese or both."), field="body_en")
    for field, text in texts.items():
        placeholders_refuse(text, field=field)
    if channel == Channel.EMAIL:
        for language in ("en", "zh"):
            if texts[f"body_{language}"] and not texts[f"subject_{language}"]:
                raise TemplateInvalid(
                    _("An email needs a subject in each language it is written in."),
                    field=f"subject_{language}",
                )
    return {"name": name, "channel": channel, "purpose": purpose, **texts}


@transaction.atomic
def template_create(
    *,
    by,
    dealer_id: int | None,
    name: str,
    channel: str,
    purpose: str,
    subject_en: str = "",
    body_en: str = "",
    subject_zh: str = "",
    body_zh: str = "",
    is_active: bool = True,
) -> MessageTemplate:
    """A template of `dealer_id`, or an OEM template shared with every dealer when it is None (OEM admins
    only). Raises PermissionDenied, TemplateInvalid or PlaceholderUnknown."""
    require_manage(user=by, dealer_id=dealer_id)
    fields = _template_clean(
        name=name,
        channel=channel,
        purpose=purpose,
        subject_en=subject_en,
        body_en=body_en,
        subject_zh=subject_zh,
        body_zh=body_zh,
    )
    return MessageTemplate.objects.create(dealer_id=dealer_id, is_active=is_active, created_by=by, **fields)


@transaction.atomic
def template_update(
    *,
    template: MessageTemplate,
    by,
    name: str,
    channel: str,
    purpose: str,
    subject_en: str = "",
    body_en: str = "",
    subject_zh: str = "",
    body_zh: str = "",
    is_active: bool = True,
    expected_updated_at: datetime | None = None,
) -> MessageTemplate:
    """Change a template (its dealer stays). Its content cannot change while a campaign awaiting approval
    or sending uses it (TemplateInUse); `expected_updated_at` refuses to overwrite someone else's edit."""
    require_manage(user=by, dealer_id=template.dealer_id)
    template = MessageTemplate.objects.select_for_update().get(pk=template.pk)
    _check_version(template, expected_updated_at)
    fields = _template_clean(
        name=name,
        channel=channel,
        purpose=purpose,
        subject_en=subject_en,
        body_en=body_en,
        subject_zh=subject_zh,
        body_zh=body_zh,
    )
    content_changes = any(getattr(template, key) != fields[key] for key in TEMPLATE_CONTENT)
    if content_changes and template.campaigns.filter(status__in=LOCKING_STATUSES).exists():
        raise TemplateInUse()
    for key, value in fields.items():
        setattr(template, key, value)
    template.is_active = is_active
    template.save()
    return template


# Segments ---------------------------------------------------------------------------------------------


def _filters_clean(filters: dict) -> dict:
    """Only registered filters, with JSON values; empty values are left out."""
    cleaned = {}
    for key, value in (filters or {}).items():
        segment_filter_get(key)  # raises SegmentFilterInvalid for an unknown key
        if value in (None, "", [], {}):
            continue
        cleaned[key] = to_json(value)
    return cleaned


@transaction.atomic
def segment_save(
    *,
    by,
    segment: Segment | None = None,
    dealer_id: int | None = None,
    name: str,
    filters: dict,
    expected_updated_at: datetime | None = None,
) -> Segment:
    """Create a segment of `dealer_id` (None: the whole network, OEM admins only) or change `segment` (its
    dealer stays). Stores the filters as JSON and how many customers they select right now."""
    name = (name or "").strip()
    if not name:
        raise SegmentInvalid(_("Give the segment a name."), field="name")
    filters = _filters_clean(filters)
    if segment is None:
        require_manage(user=by, dealer_id=dealer_id)
        segment = Segment(dealer_id=dealer_id, created_by=by)
    else:
        require_manage(user=by, dealer_id=segment.dealer_id)
        segment = Segment.objects.select_for_update().get(pk=segment.pk)
        _check_version(segment, expected_updated_at)
        if segment.filters != filters and segment.campaigns.filter(status__in=LOCKING_STATUSES).exists():
            raise SegmentInUse()
    segment.name, segment.filters = name, filters
    segment.last_count = segment_customers(filters=filters, dealer_id=segment.dealer_id).count()
    segment.last_counted_at = timezone.now()
    segment.save()
    return segment


# Care messages ----------------------------------------------------------------------------------------


@transaction.atomic
def care_program_save(
    *,
    by,
    program: CareProgram | None = None,
    dealer_id: int | None = None,
    trigger: str,
    template: MessageTemplate,
    send_hour: int,
    is_active: bool = True,
) -> CareProgram:
    """Create a care message of `dealer_id` (None: network-wide, OEM admins only) or change `program` (its
    dealer stays). The template must be the dealer's own or an OEM template."""
    if program is None:
        require_manage(user=by, dealer_id=dealer_id)
        program = CareProgram(dealer_id=dealer_id)
    else:
        require_manage(user=by, dealer_id=program.dealer_id)
        program = CareProgram.objects.select_for_update().get(pk=program.pk)
    if trigger not in {t.key for t in care_triggers()}:
        raise CareProgramInvalid(_("Choose an occasion."), field="trigger")
    if template.dealer_id not in (None, program.dealer_id):
        raise CareProgramInvalid(_("That template belongs to another dealer."), field="template")
    if not template.is_active:
        raise CareProgramInvalid(_("That template is switched off."), field="template")
    if not 0 <= int(send_hour) <= 23:
        raise CareProgramInvalid(_("Choose an hour from 0 to 23."), field="send_hour")
    program.trigger, program.template, program.send_hour, program.is_active = (
        trigger,
        template,
        int(send_hour),
        is_active,
    )
    program.save()
    return program

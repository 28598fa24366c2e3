"""What the survey tests share: a live questionnaire built through the builder's services, a dealer with
its staff and an owner, invitations made as the timeline subscriber makes them, and answers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm.core.scope import network_wide
from crm.network.models import Role
from loyalty.models import SurveyInvitation, SurveyKind, SurveyQuestion
from loyalty.services import questionnaires
from loyalty.services import surveys as services
from tests.factories import DealerFactory, VehicleFactory, customer_with, staff

Type = SurveyQuestion.Type


def questionnaire_live(admin, *, kind: str = SurveyKind.CSI, nps_required: bool = False):
    """An active questionnaire of `kind`, published: NPS (0–10), a 1–5 scale, one choice, free text."""
    questionnaire = questionnaires.questionnaire_create(
        by=admin, kind=kind, name_en=f"{kind} survey", name_zh=f"{kind} 问卷"
    )
    draft = questionnaire.versions.get()
    questionnaires.question_add(
        by=admin,
        version=draft,
        type=Type.NPS,
        text_en="Would you recommend us?",
        text_zh="您会推荐我们吗？",
        is_required=nps_required,
    )
    questionnaires.question_add(
        by=admin,
        version=draft,
        type=Type.SCALE,
        text_en="How satisfied are you?",
        text_zh="您满意吗？",
        scale_min=1,
        scale_max=5,
    )
    questionnaires.question_add(
        by=admin,
        version=draft,
        type=Type.SINGLE,
        text_en="What mattered most?",
        text_zh="什么最重要？",
        choices=[{"en": "Price", "zh": "价格"}, {"en": "Speed", "zh": "速度"}],
    )
    questionnaires.question_add(
        by=admin, version=draft, type=Type.TEXT, text_en="Anything else?", text_zh="还有什么？"
    )
    version = questionnaires.version_publish(by=admin, version=draft)
    questionnaires.questionnaire_activate(by=admin, questionnaire=questionnaire)
    return version


@pytest.fixture
def survey_world():
    dealer = DealerFactory(name="Pudong Aurora 4S")
    admin = staff(Role.OEM_ADMIN)
    world = {
        "dealer": dealer,
        "admin": admin,
        "seller": staff(Role.SALESPERSON, dealer=dealer),
        "advisor": staff(Role.SERVICE_ADVISOR, dealer=dealer),
        "manager": staff(Role.SALES_MANAGER, dealer=dealer),
        "agent": staff(Role.CALL_CENTRE_AGENT),
        "owner": customer_with(dealer, language="zh-hans"),
    }
    world["csi"] = questionnaire_live(admin, kind=SurveyKind.CSI)
    world["ssi"] = questionnaire_live(admin, kind=SurveyKind.SSI)
    return world


def invite(world, *, customer=None, kind=SurveyKind.CSI, at=None, dealer=None, **judged) -> SurveyInvitation:
    """An invitation as the timeline subscriber creates it (network-wide, as subscribers run)."""
    customer = customer or world["owner"]
    with network_wide(reason="test: subscriber"):
        vehicle = VehicleFactory(owner=customer)
        return services.invitation_create(
            kind=kind,
            dealer_id=(dealer or world["dealer"]).id,
            customer_id=customer.id,
            vehicle_id=vehicle.id,
            model=vehicle.model,
            now=at or timezone.now(),
            **judged,
        )


def answer(invitation, *, nps=None, scale=None, choice=None, text=None, at=None, **kwargs):
    """Submit answers by question type (None: skipped), as the public page does."""
    values = {Type.NPS: nps, Type.SCALE: scale, Type.SINGLE: choice, Type.TEXT: text}
    with network_wide(reason="test: the public link"):
        questions = invitation.version.questions.all()
        answers = {str(q.id): [str(values[q.type])] for q in questions if values[q.type] is not None}
        return services.response_submit(
            invitation=invitation, answers=answers, now=at or invitation.created_at + timedelta(hours=1), **kwargs
        )

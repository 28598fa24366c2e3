"""`manage.py seed_demo_surveys`: the OEM's sales (SSI) and service (CSI) questionnaires, and four months of
invitations and answers at every demo dealer, so the satisfaction statistics, the call-back list and the
key figures have something to show. Loaded once (it says so and changes nothing when the questionnaires
exist). Reproducible: a seeded random generator picks customers, dates and answers.

Invitations and answers go through the services (the fatigue rule, frozen attribution, the one-response
key and the low-score rule all apply). The one thing the services cannot do for the past is the SMS
gateway's work: for invitations sent more than a day ago the seed records the outcome the gateway would
have reported (delivered, a few failed), since no worker ran back then.
"""

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db.models import F
from django.utils import timezone

from crm.core.scope import network_wide
from crm.customers.models import ContactPoint, Vehicle
from crm.messaging.models import OutboxMessage
from crm.network.models import Dealer, Role, RoleAssignment
from loyalty.models import Questionnaire, SurveyInvitation, SurveyKind, SurveyQuestion
from loyalty.services import questionnaires
from loyalty.services import surveys as services

Type = SurveyQuestion.Type
PER_DEALER = 32
DAYS_BACK = 120

QUESTIONNAIRES = {
    SurveyKind.SSI: (
        "Sales satisfaction after delivery",
        "购车满意度调查",
        [
            (Type.NPS, "How likely are you to recommend us to a friend?", "您向朋友推荐我们的可能性有多大？", True, None),
            (Type.SCALE, "How satisfied are you with your salesperson?", "您对销售顾问的服务满意吗？", True, (1, 5)),
            (Type.SCALE, "How satisfied are you with the delivery?", "您对交车过程满意吗？", False, (1, 5)),
            (
                Type.SINGLE,
                "What mattered most in your choice?",
                "您选择我们最看重什么？",
                False,
                [("Price", "价格"), ("Service", "服务"), ("The car", "车型"), ("Location", "位置")],
            ),
            (Type.TEXT, "Anything we should do better?", "您有什么建议吗？", False, None),
        ],
    ),
    SurveyKind.CSI: (
        "Service satisfaction after a visit",
        "售后服务满意度调查",
        [
            (Type.NPS, "How likely are you to recommend our workshop?", "您向朋友推荐我们售后的可能性有多大？", True, None),
            (Type.SCALE, "How satisfied are you with your service advisor?", "您对服务顾问满意吗？", True, (1, 5)),
            (Type.SCALE, "Was the car ready when promised?", "车辆是否按时交付？", False, (1, 5)),
            (
                Type.MULTIPLE,
                "What could be better?",
                "哪些方面需要改进？",
                False,
                [("Waiting time", "等待时间"), ("Price", "价格"), ("Explanation", "解释说明"), ("Cleanliness", "清洁")],
            ),
            (Type.TEXT, "Anything else?", "还有其他意见吗？", False, None),
        ],
    ),
}

VERBATIMS = [
    "销售顾问很专业，交车仪式很用心。",
    "等待时间太长了，预约了还要等一个多小时。",
    "价格透明，解释很清楚，下次还来。",
    "休息区很舒服，但是洗车没洗干净。",
    "The advisor explained everything clearly. Great service.",
    "Car was ready two hours late and nobody called me.",
    "交车时有些功能没讲清楚，希望有人回访讲解。",
    "整体满意，希望保养价格再优惠一些。",
]


class Command(BaseCommand):
    help = "Load demo satisfaction questionnaires, invitations and answers, once."

    def handle(self, *args, **options):
        rng = random.Random(20261203)
        with network_wide(reason="seed demo surveys"):
            if Questionnaire.objects.exists():
                self.stdout.write("demo surveys already loaded")
                return
            admin = get_user_model().objects.filter(username="oem.admin").first()
            dealers = list(Dealer.objects.filter(is_active=True).order_by("code"))
            if admin is None or not dealers:
                self.stdout.write("run seed_demo first")
                return
            for kind, (name_en, name_zh, questions) in QUESTIONNAIRES.items():
                self._questionnaire(admin, kind, name_en, name_zh, questions)
            now = timezone.now()
            invited = answered = 0
            for dealer in dealers:
                counts = self._dealer(dealer, rng, now)
                invited, answered = invited + counts[0], answered + counts[1]
            self._gateway_outcomes(rng, now)
        self.stdout.write(f"demo surveys: {invited} invitations, {answered} answers")

    def _questionnaire(self, admin, kind, name_en, name_zh, questions) -> None:
        questionnaire = questionnaires.questionnaire_create(by=admin, kind=kind, name_en=name_en, name_zh=name_zh)
        draft = questionnaire.versions.get()
        for question_type, text_en, text_zh, required, extra in questions:
            scale = extra if question_type == Type.SCALE else (None, None)
            choices = [{"en": en, "zh": zh} for en, zh in extra] if isinstance(extra, list) else None
            questionnaires.question_add(
                by=admin,
                version=draft,
                type=question_type,
                text_en=text_en,
                text_zh=text_zh,
                is_required=required,
                scale_min=scale[0],
                scale_max=scale[1],
                choices=choices,
            )
        questionnaires.version_publish(by=admin, version=draft)
        questionnaires.questionnaire_activate(by=admin, questionnaire=questionnaire)

    def _dealer(self, dealer, rng, now) -> tuple[int, int]:
        staff = dict.fromkeys(Role, ())
        for role, user_id in RoleAssignment.objects.filter(dealer=dealer, is_active=True).values_list(
            "role", "user_id"
        ):
            staff[role] = (*staff[role], user_id)
        vehicles = list(
            Vehicle.objects.filter(
                owner__dealer_links__dealer=dealer,
                owner__merged_into__isnull=True,
                owner__contact_points__kind=ContactPoint.Kind.PHONE,
            )
            .distinct()
            .order_by("id")[: PER_DEALER + 4]
        )
        invited = answered = 0
        for index, vehicle in enumerate(vehicles):
            kind = SurveyKind.SSI if index % 2 else SurveyKind.CSI
            at = now - timedelta(days=rng.randint(0, DAYS_BACK), hours=rng.randint(0, 20))
            invitation = services.invitation_create(
                kind=kind,
                dealer_id=dealer.id,
                customer_id=vehicle.owner_id,
                salesperson_id=rng.choice(staff[Role.SALESPERSON]) if kind == SurveyKind.SSI and staff[Role.SALESPERSON] else None,
                advisor_id=rng.choice(staff[Role.SERVICE_ADVISOR]) if kind == SurveyKind.CSI and staff[Role.SERVICE_ADVISOR] else None,
                vehicle_id=vehicle.id,
                model=vehicle.model,
                now=at,
            )
            if invitation is None:
                continue
            invited += 1
            # Two in three answer, some days later (a few after the reminder); recent ones may still come.
            if invitation.status == SurveyInvitation.Status.SENT and at < now - timedelta(days=1) and rng.random() < 0.66:
                answered_at = min(at + timedelta(hours=rng.randint(2, 24 * 6)), now - timedelta(minutes=5))
                services.response_submit(invitation=invitation, answers=self._answers(invitation, rng), now=answered_at)
                answered += 1
        return invited, answered

    def _answers(self, invitation, rng) -> dict:
        mood = rng.random()  # one mood per customer, so their answers agree with each other
        answers = {}
        for question in invitation.version.questions.all():
            if not question.is_required and rng.random() < 0.2:
                continue  # skipped
            if question.type == Type.NPS:
                value = rng.choice([10, 10, 9, 9, 8]) if mood > 0.35 else rng.choice([8, 7, 7, 6, 5, 3])
                if mood < 0.08:
                    value = rng.choice([0, 2, 4])
                answers[str(question.id)] = [str(value)]
            elif question.type == Type.SCALE:
                value = rng.choice([5, 5, 4]) if mood > 0.35 else rng.choice([4, 3, 3, 2])
                if mood < 0.08:
                    value = 1
                answers[str(question.id)] = [str(value)]
            elif question.type == Type.SINGLE:
                answers[str(question.id)] = [rng.choice(question.choices)["code"]]
            elif question.type == Type.MULTIPLE:
                picked = rng.sample(question.choices, k=rng.randint(1, 2))
                answers[str(question.id)] = [choice["code"] for choice in picked]
            elif rng.random() < 0.5:
                answers[str(question.id)] = [rng.choice(VERBATIMS)]
        return answers

    def _gateway_outcomes(self, rng, now) -> None:
        sent_before = now - timedelta(days=1)
        messages = OutboxMessage.objects.filter(
            kind="survey_invitation", status=OutboxMessage.Status.QUEUED, scheduled_at__lt=sent_before
        )
        ids = list(messages.values_list("id", flat=True))
        failed = set(rng.sample(ids, k=len(ids) // 20)) if ids else set()
        OutboxMessage.objects.filter(id__in=failed).update(
            status=OutboxMessage.Status.FAILED, last_error="provider: undelivered (demo)", attempts=1
        )
        OutboxMessage.objects.filter(id__in=set(ids) - failed).update(
            status=OutboxMessage.Status.DELIVERED,
            attempts=1,
            sent_at=F("scheduled_at"),
            delivered_at=F("scheduled_at") + timedelta(seconds=5),
        )

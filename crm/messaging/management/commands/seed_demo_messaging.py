"""`manage.py seed_demo_messaging`: message templates, segments, a birthday greeting and a campaign waiting
for approval at the Shanghai demo dealer, plus one OEM template shared with every dealer. Loaded once."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from crm.core.scope import network_wide
from crm.messaging.models import CareProgram, MessageTemplate, Segment
from crm.messaging.services.campaigns import campaign_create, campaign_submit
from crm.network.models import Dealer

TEMPLATES = [
    {
        "name": "Winter check (SMS)",
        "channel": "sms",
        "purpose": "marketing",
        "body_en": "Hi {{ customer.name }}, free winter check for your {{ vehicle.model }} at {{ dealer.name }} "
        "this month. Book: {{ dealer.phone }}. Reply TD to opt out.",
        "body_zh": "{{ customer.name }}您好，{{ dealer.name }}本月为您的{{ vehicle.model }}提供免费冬季检测，"
        "预约电话{{ dealer.phone }}。回复TD退订",
    },
    {
        "name": "Maintenance due (email)",
        "channel": "email",
        "purpose": "service",
        "subject_en": "Your {{ vehicle.model }} is due for maintenance",
        "body_en": "Dear {{ customer.name }},\n\nyour {{ vehicle.model }} ({{ vehicle.plate }}) is due for its "
        "regular maintenance. Call {{ dealer.phone }} to book a time that suits you.\n\n{{ dealer.name }}",
        "subject_zh": "您的{{ vehicle.model }}该保养了",
        "body_zh": "尊敬的{{ customer.name }}：\n\n您的{{ vehicle.model }}（{{ vehicle.plate }}）已到常规保养时间，"
        "请致电{{ dealer.phone }}预约。\n\n{{ dealer.name }}",
    },
    {
        "name": "Birthday greeting (SMS)",
        "channel": "sms",
        "purpose": "marketing",
        "body_en": "Happy birthday, {{ customer.name }}! Everyone at {{ dealer.name }} wishes you a great year. "
        "Reply TD to opt out.",
        "body_zh": "{{ customer.name }}，生日快乐！{{ dealer.name }}全体同仁祝您新的一岁一切顺利。回复TD退订",
    },
]


class Command(BaseCommand):
    help = "Load demo message templates, segments, a care message and a campaign awaiting approval, once."

    def handle(self, *args, **options):
        users = get_user_model().objects
        with network_wide(reason="seed demo messaging"):
            if MessageTemplate.objects.exists():
                self.stdout.write("demo messaging already loaded")
                return
            dealer = Dealer.objects.filter(code="SH001").first()
            if dealer is None:
                self.stdout.write("run seed_demo first")
                return
            MessageTemplate.objects.create(
                dealer=None,
                name="New model launch (OEM)",
                channel="sms",
                purpose="marketing",
                body_en="{{ customer.name }}, the new EV7 is here. Test drive it at {{ dealer.name }}: "
                "{{ dealer.phone }}. Reply TD to opt out.",
                body_zh="{{ customer.name }}您好，全新EV7已到店，欢迎到{{ dealer.name }}试驾，"
                "电话{{ dealer.phone }}。回复TD退订",
            )
            winter, _maintenance, birthday = (
                MessageTemplate.objects.create(dealer=dealer, **template) for template in TEMPLATES
            )
            opted_in = Segment.objects.create(
                dealer=dealer, name="SMS opt-ins", filters={"marketing_consent": "sms"}
            )
            Segment.objects.create(
                dealer=dealer,
                name="Hot prospects (H/A)",
                filters={"lead_grade": ["H", "A"], "marketing_consent": "sms"},
            )
            CareProgram.objects.create(dealer=dealer, trigger="birthday", template=birthday, send_hour=10)
            manager = users.get(username="manager.sh")
            campaign = campaign_create(
                by=manager, name="Winter check 2026", segment=opted_in, template=winter, scheduled_at=None
            )
            campaign_submit(campaign=campaign, by=manager)
        self.stdout.write(
            "demo messaging loaded: 4 templates, 2 segments, 1 care message, 1 campaign to approve"
        )

"""`manage.py seed_demo_audits`: the OEM's judging side on top of seed_demo and seed_demo_leads, loaded once.

Everything goes through the services, as the people would do it: the OEM admin publishes a scorecard template
and an audit checklist; last month the East regional manager audited Shanghai (a non-critical failure whose
finding the dealer has answered with a PDF, waiting for verification) and Hangzhou (a critical failure);
two mystery shoppers visited: Shanghai logged the walk-in and called back the next day, Hangzhou logged
nothing (the reconciliation catches it and opens a finding). Early last month the regional manager also
raised a critical finding at Shanghai from its overdue follow-ups, due on the 10th and still not answered: the
veto gate (the template's: a veto caps at D) takes Shanghai from C by its points to D and cancels its rebate. Last month's scorecards are
drafted, and Shanghai's and Hangzhou's are published; Nanjing's waits for review.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.utils import timezone

from crm.core.scope import network_wide, scoped
from crm.network.access import access_for
from crm.network.models import Dealer
from dealers.models import AuditChecklist, Scorecard
from dealers.services.audits import (
    ItemTerms,
    audit_complete,
    audit_record,
    audit_start,
    checklist_draft_save,
    checklist_publish,
)
from dealers.services.findings import finding_answer, finding_raise
from dealers.services.mystery import mystery_shop_finding_open, mystery_shop_reconcile, mystery_shop_record
from dealers.services.scorecards import (
    KpiTerms,
    TierTerms,
    months_closed,
    scorecard_publish,
    scorecards_draft_month,
    template_draft_save,
    template_publish,
)
from leads.services import contact_log, visit_log

CHECKLIST_TITLE = "Showroom and lead handling 展厅与线索管理"
ITEMS = [
    ItemTerms("Showroom 展厅", "Every walk-in is logged with a phone number 每位到店客户均登记手机号", 3, is_critical=True),
    ItemTerms("Showroom 展厅", "Demo cars clean and charged 试驾车整洁且电量充足", 1, is_evidence_required=True),
    ItemTerms("Leads 线索", "OEM leads answered within 2 business hours 厂家线索两小时内响应", 2),
    ItemTerms("Leads 线索", "Overdue follow-ups reviewed daily by the manager 经理每日检查逾期跟进", 2),
    ItemTerms("Service 售后", "Waiting area shows the CSI survey QR code 休息区展示满意度调查二维码", 1),
]
# 1×1 pixel PNG and a one-page PDF: evidence files small enough for a seed, real enough to open.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2261f2a0000000049454e44ae426082"
)
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


class Command(BaseCommand):
    help = "Load demo scorecards, audits, findings and mystery shops (after seed_demo and seed_demo_leads), once."

    def handle(self, *args, **options):
        users = get_user_model().objects
        with network_wide(reason="seed demo dealers: check"):
            if AuditChecklist.objects.filter(title=CHECKLIST_TITLE).exists():
                self.stdout.write("demo audits and scorecards already loaded")
                return
            dealers = Dealer.objects.in_bulk(["SH001", "HZ002", "NJ003"], field_name="code")
            people = users.in_bulk(["oem.admin", "region.east", "sales.sh", "manager.sh"], field_name="username")
        if len(dealers) < 3 or len(people) < 4:
            self.stdout.write("run seed_demo first")
            return
        admin, regional = people["oem.admin"], people["region.east"]
        month = months_closed()[0]
        zone = ZoneInfo(settings.DEALERS_OEM_TIME_ZONE)

        def at(day: int, hour: int, minute: int = 0) -> datetime:
            return datetime.combine(month + timedelta(days=day - 1), time(hour, minute), tzinfo=zone)

        with scoped(access_for(admin).scope):
            template = template_draft_save(
                by=admin,
                name="Network scorecard 2026 网络考核",
                kpis=[
                    KpiTerms("dealers.audit_score", 60, Decimal(95), Decimal(60)),
                    KpiTerms("dealers.mystery_shops_passed", 40, Decimal(100), Decimal(0)),
                ],
                tiers=TierTerms(veto_cap_tier="D"),
            )
            template_publish(template=template, by=admin)
            checklist_publish(checklist=checklist_draft_save(by=admin, title=CHECKLIST_TITLE, items=ITEMS), by=admin)

        self._mystery_shops(dealers, people, at)
        with scoped(access_for(regional).scope):
            self._audit(dealers["SH001"], regional, at(12, 10).date(), failing={2: "Two demo cars dusty 两辆试驾车积灰"})
            self._audit(dealers["HZ002"], regional, at(14, 10).date(), failing={0: "3 of 8 walk-ins not logged 8位到店客户中3位未登记"})
        with scoped(access_for(people["manager.sh"]).scope):
            finding = dealers["SH001"].findings.filter(status="open").order_by("id").first()
            finding_answer(
                finding=finding,
                by=people["manager.sh"],
                corrective_action="Demo cars now washed every morning; checklist signed by the showroom lead. "
                "试驾车每日早晨清洗，展厅主管签字确认。",
                files=[SimpleUploadedFile("demo-car-log.pdf", PDF)],
            )

        with scoped(access_for(regional).scope):
            finding_raise(
                dealer=dealers["SH001"],
                by=regional,
                title="Overdue follow-ups not cleared 逾期跟进未清理",
                description="Twelve follow-ups overdue by more than a week on the 3rd; clear them and show the "
                "manager's daily review. 3日时有12条跟进逾期超过一周；请清理并提供经理每日检查记录。",
                severity="critical",
                due_on=at(10, 0).date(),
                figure_code="leads.overdue",
                owner=people["manager.sh"],
                raised_at=at(3, 9, 30),
            )

        scorecards_draft_month(month=month, dealer_ids=[d.id for d in dealers.values()])
        with scoped(access_for(regional).scope):
            for code in ("SH001", "HZ002"):
                scorecard = Scorecard.objects.get(dealer=dealers[code], month=month, version=1)
                scorecard_publish(scorecard=scorecard, by=regional)
        self.stdout.write(self.style.SUCCESS(f"demo audits, findings, mystery shops and {month:%Y-%m} scorecards loaded"))

    def _audit(self, dealer, auditor, visited_on, *, failing: dict[int, str]) -> None:
        audit = audit_start(dealer=dealer, by=auditor, visited_on=visited_on)
        for position, result in enumerate(audit.results.select_related("item").order_by("item__position")):
            note = failing.get(position, "")
            files = [SimpleUploadedFile("photo.png", PNG)] if result.item.is_evidence_required else []
            audit_record(
                audit=audit, by=auditor, item_id=result.item_id, result="fail" if note else "pass", note=note, files=files
            )
        audit_complete(audit=audit, by=auditor, note="Visit with the showroom manager. 与展厅经理一同巡检。")

    def _mystery_shops(self, dealers, people, at) -> None:
        regional, seller = people["region.east"], people["sales.sh"]
        with scoped(access_for(seller).scope):
            visit = visit_log(
                by=seller, dealer=dealers["SH001"], phone="13817720931", name="刘先生", grade="A",
                arrived_at=at(9, 10, 30), left_at=at(9, 11, 15), models_of_interest=["A6"], is_history=True,
                next_step="Call back tomorrow with the finance offer",
            )
            contact_log(lead=visit.lead, by=seller, channel="phone", outcome="reached", at=at(10, 15))
        with scoped(access_for(regional).scope):
            diligent = mystery_shop_record(
                dealer=dealers["SH001"], by=regional, kind="visit", occurred_at=at(9, 10, 30),
                shopper_phone="13817720931", shopper_name="刘先生 (mystery shopper)",
                scenario="Family buyer, asks about the A6 and financing; leaves his number. 家庭用户，咨询A6及金融方案。",
                behaviours=[
                    {"label": "Greeted within 2 minutes 两分钟内接待", "observed": True},
                    {"label": "Offered a test drive 主动邀请试驾", "observed": True},
                    {"label": "Asked for a phone number 留取电话", "observed": True},
                ],
            )
            mystery_shop_reconcile(shop=diligent, by=regional, now=timezone.now())
            careless = mystery_shop_record(
                dealer=dealers["HZ002"], by=regional, kind="visit", occurred_at=at(11, 14),
                shopper_phone="13958013377", shopper_name="陈女士 (mystery shopper)",
                scenario="Compares the EV7 with a competitor; gives her number at the desk. 比较EV7与竞品，前台留下电话。",
                behaviours=[
                    {"label": "Greeted within 2 minutes 两分钟内接待", "observed": True},
                    {"label": "Offered a test drive 主动邀请试驾", "observed": False},
                    {"label": "Asked for a phone number 留取电话", "observed": True},
                ],
            )
            mystery_shop_reconcile(shop=careless, by=regional, now=timezone.now())
            mystery_shop_finding_open(shop=careless, by=regional, due_on=timezone.localdate() + timedelta(days=10))

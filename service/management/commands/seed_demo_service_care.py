"""`manage.py seed_demo_service_care`: the demo of complaints, call-backs and recalls, at the Shanghai demo
dealer (SH001) and across the network, on top of seed_demo. Idempotent: a second run finds its rows (by their
repair order numbers, campaign code and complaint summaries) and adds nothing.

- Settled repair orders two and three days ago (call-backs due, for someone other than advisor.sh), one
  yesterday (upcoming) and one whose call-back was made; one carries the recall's remedy operation.
- A recall campaign with a VIN list (some of the network's cars, a VIN not in the system, a mistyped one),
  its owners notified, one completion (from that order) and one customer who declined.
- Complaints: one overdue and escalated, one fresh from the call centre, one closed with the customer's word.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from crm.core.scope import network_wide, scoped
from crm.customers.models import Vehicle
from crm.customers.normalize import vin_check_digit
from crm.network.access import access_for
from crm.network.models import Dealer
from crm.timeline.models import TimelineEvent
from crm.timeline.services import event_dispatch
from service import services as workshop
from service.care import services as care
from service.models import CallBack, Complaint, RecallCampaign, RecallVehicle, RepairOrder
from service.recalls import services as recalls

RECALL_CODE = "R-2026-AUR-07"
REMEDY = "RC-0726"
ORDERS = [
    # number, days ago settled (None: still open), operation code, concern
    ("CARE-DEMO-01", 2, "MNT-10K", "10,000 km service"),
    ("CARE-DEMO-02", 3, REMEDY, "Recall RC-0726: brake hose bracket"),
    ("CARE-DEMO-03", 2, "BRK-PAD", "Brakes squeak"),
    ("CARE-DEMO-04", 1, "AC-CLEAN", "Air conditioning smells"),
    ("CARE-DEMO-05", 6, "MNT-5K", "First service"),
]
COMPLAINTS = {
    "overdue": "等了四个小时才取车，没人通知进度。Waited four hours for the car, nobody called.",
    "fresh": "Charged for an oil filter that was not replaced.",
    "closed": "车辆保养后仪表盘有划痕。Scratch on the dashboard after the service.",
}


class Command(BaseCommand):
    help = "Load the demo complaints, call-backs and recall (after seed_demo). Safe to run twice."

    def handle(self, *args, **options):
        users = get_user_model().objects
        with network_wide(reason="seed demo: service care"):
            dealer = Dealer.objects.filter(code="SH001").first()
            people = {
                u.username: u
                for u in users.filter(username__in=["advisor.sh", "admin.sh", "callcentre", "oem.admin"])
            }
            if dealer is None or len(people) < 4:
                raise CommandError("Run seed_demo first: the SH001 dealer and its staff are missing.")
            vehicles = list(
                Vehicle.objects.filter(owner__isnull=False, owner__dealer_links__dealer=dealer)
                .select_related("owner")
                .order_by("id")[:10]
            )
            network_cars = list(
                Vehicle.objects.filter(owner__isnull=False)
                .exclude(id__in=[v.id for v in vehicles])
                .order_by("id")[:12]
            )
        if len(vehicles) < len(ORDERS) + 2:
            raise CommandError("Run seed_demo first: SH001 has too few customers with a car.")
        campaign = self._recall(people["oem.admin"], vehicles, network_cars)
        orders = self._orders(dealer, people["advisor.sh"], vehicles)
        self._call_backs(orders, people["admin.sh"])
        self._complaints(dealer, people, orders, vehicles)
        self._decline(campaign, people["advisor.sh"], vehicles)
        self.stdout.write(self.style.SUCCESS("Service care demo ready: complaints, call-backs and a recall."))

    def _recall(self, oem, vehicles, network_cars) -> RecallCampaign:
        with scoped(access_for(oem).scope):
            campaign = RecallCampaign.objects.filter(code=RECALL_CODE).first()
            if campaign is None:
                campaign = recalls.recall_create(
                    by=oem,
                    code=RECALL_CODE,
                    title="制动软管支架可能磨损 Brake hose bracket may chafe",
                    description="A bracket can rub the front brake hose; over time the hose may leak.",
                    remedy_operation_codes=[REMEDY],
                )
            if not campaign.uploads.exists():
                listed = [v.vin for v in vehicles[1:7]] + [v.vin for v in network_cars]
                unknown = "LSVAB4BR0NA990001"
                unknown = (
                    unknown[:8] + vin_check_digit(unknown) + unknown[9:]
                )  # valid; no demo vehicle has it
                mistyped = vehicles[0].vin[:8] + "O" + vehicles[0].vin[9:]  # an O where the check digit goes
                lines = ["VIN", *listed, unknown, "", mistyped, listed[0].lower()]
                recalls.recall_vins_upload(
                    campaign=campaign,
                    by=oem,
                    data="\r\n".join(lines).encode(),
                    filename="召回清单-RC0726.csv",
                )
                recalls.recall_notify(campaign=campaign, by=oem)
        return campaign

    def _orders(self, dealer, advisor, vehicles) -> list[RepairOrder]:
        now = timezone.now()
        orders = []
        for (number, days_ago, operation, concern), vehicle in zip(ORDERS, vehicles[1:], strict=False):
            with scoped(access_for(advisor).scope):
                existing = RepairOrder.objects.filter(dealer=dealer, number=number).first()
            if existing is not None:
                orders.append(existing)
                continue
            settled_at = now - timedelta(days=days_ago, hours=2)
            with transaction.atomic(), scoped(access_for(advisor).scope):
                order = workshop.repair_order_open(
                    dealer=dealer,
                    vehicle=vehicle,
                    by=advisor,
                    number=number,
                    concern=concern,
                    opened_at=settled_at - timedelta(hours=4),
                )
                job = order.jobs.get()
                workshop.labour_line_add(
                    job=job, by=advisor, operation_code=operation, hours="1.2", rate="220"
                )
                order = workshop.repair_order_settle(repair_order=order, by=advisor, settled_at=settled_at)
            with network_wide(reason="seed demo: hand the settled order to its subscribers"):
                event = TimelineEvent.objects.filter(
                    kind="service.repair_order_settled", data__repair_order=order.id
                ).first()
            if event is not None:
                event_dispatch(event_id=event.id)
            orders.append(order)
        return orders

    def _call_backs(self, orders, caller) -> None:
        """The oldest order's call-back was made (satisfied); the others wait."""
        with network_wide(reason="seed demo: call-backs"):
            call_back = CallBack.objects.filter(repair_order=orders[-1]).first()
        if call_back is not None and not call_back.is_done and call_back.advisor_id != caller.id:
            with scoped(access_for(caller).scope):
                care.call_back_record(
                    call_back=call_back, by=caller, outcome="satisfied", notes="很满意，下次还来。Very happy."
                )

    def _complaints(self, dealer, people, orders, vehicles) -> None:
        advisor, agent = people["advisor.sh"], people["callcentre"]
        with network_wide(reason="seed demo: complaints"):
            present = set(
                Complaint.objects.filter(summary__in=COMPLAINTS.values()).values_list("summary", flat=True)
            )
        if COMPLAINTS["overdue"] not in present:
            order = orders[0]
            with scoped(access_for(agent).scope):
                complaint = care.complaint_open(
                    dealer=dealer,
                    customer=order.customer,
                    repair_order=order,
                    category="waiting_time",
                    severity="high",
                    source="call_centre",
                    summary=COMPLAINTS["overdue"],
                    opened_by=agent,
                )
            # Demo history: this complaint was logged two days ago and nobody has called the customer since.
            opened_at = timezone.now() - timedelta(days=2)
            with network_wide(reason="seed demo: back-date the overdue complaint"):
                first_due, resolution_due = care.complaint_deadlines(severity="high", opened_at=opened_at)
                Complaint.objects.filter(id=complaint.id).update(
                    opened_at=opened_at, first_contact_due_at=first_due, resolution_due_at=resolution_due
                )
                complaint.entries.update(at=opened_at)
            care.complaints_escalate()
        if COMPLAINTS["fresh"] not in present:
            with scoped(access_for(agent).scope):
                care.complaint_open(
                    dealer=dealer,
                    customer=orders[2].customer,
                    repair_order=orders[2],
                    category="price",
                    severity="medium",
                    source="call_centre",
                    summary=COMPLAINTS["fresh"],
                    opened_by=agent,
                )
        if COMPLAINTS["closed"] not in present:
            with scoped(access_for(advisor).scope):
                complaint = care.complaint_open(
                    dealer=dealer,
                    customer=vehicles[0].owner,
                    vehicle=vehicles[0],
                    category="repair_quality",
                    severity="low",
                    source="dealer",
                    summary=COMPLAINTS["closed"],
                    opened_by=advisor,
                )
                care.complaint_note(
                    complaint=complaint, by=advisor, text="已致电客户，约周六到店。", is_contact=True
                )
                care.complaint_resolve(
                    complaint=complaint, by=advisor, resolution="更换仪表台饰板，免费。Trim replaced free."
                )
                care.complaint_close(
                    complaint=complaint, by=advisor, customer_confirmed=True, note="客户确认满意"
                )

    def _decline(self, campaign, advisor, vehicles) -> None:
        with scoped(access_for(advisor).scope):
            row = (
                RecallVehicle.objects.filter(
                    campaign=campaign, status=RecallVehicle.Status.OPEN, dealer__code="SH001"
                )
                .exclude(declined_at__isnull=False)
                .order_by("-id")
                .first()
            )
            already = RecallVehicle.objects.filter(
                campaign=campaign, status=RecallVehicle.Status.DECLINED
            ).exists()
            if row is not None and not already:
                recalls.recall_decline(
                    recall_vehicle=row, by=advisor, note="客户下月出国，回国后再约。Abroad until spring."
                )

"""The arrangement the message library tests share: two dealers in one region and one far away, people of
every role, customers, and a template / segment / care message of each owner."""

from datetime import date

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from crm.core.scope import network_wide
from crm.customers.models import Customer
from crm.messaging.models import CareProgram, MessageTemplate, Segment
from crm.network.models import Role, RoleAssignment
from tests.factories import CustomerFactory, DealerFactory, RegionFactory, VehicleFactory, staff


def template_add(*, dealer, name: str, channel: str = "sms", **fields) -> MessageTemplate:
    defaults = {
        "purpose": "marketing",
        "body_en": "Hello {{ customer.name }}, {{ dealer.name }} has news.",
        "body_zh": "{{ customer.name }}您好，{{ dealer.name }}有新消息。",
    }
    if channel == "email":
        defaults.update(subject_en="News", subject_zh="新消息")
    with network_wide(reason="test arrange"):
        return MessageTemplate.objects.create(
            dealer=dealer, name=name, channel=channel, **{**defaults, **fields}
        )


def build_world() -> dict:
    east, north = RegionFactory(code="east"), RegionFactory(code="north")
    home = DealerFactory(region=east, name="Home Motors", phone="021 5555 0100", address="88 Century Ave")
    second = DealerFactory(region=east, name="Second Motors")
    far = DealerFactory(region=north, name="Far Motors")
    people = {
        "manager": staff(Role.SALES_MANAGER, dealer=home, username="manager"),
        "admin": staff(Role.DEALER_ADMIN, dealer=home, username="admin"),
        "salesperson": staff(Role.SALESPERSON, dealer=home, username="seller"),
        "advisor": staff(Role.SERVICE_ADVISOR, dealer=home, username="advisor"),
        "regional": staff(Role.REGIONAL_MANAGER, region=east, username="regional"),
        "agent": staff(Role.CALL_CENTRE_AGENT, username="agent"),
        "oem": staff(Role.OEM_ADMIN, username="oem"),
        "far_manager": staff(Role.SALES_MANAGER, dealer=far, username="far_manager"),
        "multi": staff(Role.SALES_MANAGER, dealer=home, username="multi"),
    }
    with network_wide(reason="test arrange"):
        RoleAssignment.objects.create(user=people["multi"], role=Role.DEALER_ADMIN, dealer=second)
    wang = CustomerFactory(
        dealer=home, name="王伟", phone="+8613800000001", city="上海", birthday=date(1990, 5, 3)
    )
    VehicleFactory(owner=wang, model="A6", plate="沪A12345")
    li = CustomerFactory(dealer=home, name="Li Na", phone="+8613800000002", preferred_language="en")
    stranger = CustomerFactory(dealer=far, name="Far Stranger", phone="+8613900000003")
    templates = {
        "home": template_add(dealer=home, name="Home spring SMS"),
        "home_email": template_add(dealer=home, name="Home newsletter", channel="email"),
        "oem": template_add(dealer=None, name="OEM birthday wish"),
        "far": template_add(dealer=far, name="Far secret offer"),
    }
    with network_wide(reason="test arrange"):
        segments = {
            "home": Segment.objects.create(
                dealer=home, name="Home May birthdays", filters={"birthday_month": 5}
            ),
            "far": Segment.objects.create(dealer=far, name="Far everyone", filters={}),
            "network": Segment.objects.create(dealer=None, name="Network all", filters={}),
        }
        care = {
            "home": CareProgram.objects.create(dealer=home, trigger="birthday", template=templates["home"]),
            "far": CareProgram.objects.create(dealer=far, trigger="birthday", template=templates["far"]),
        }
    return {
        "home": home,
        "second": second,
        "far": far,
        "people": people,
        "wang": wang,
        "li": li,
        "stranger": stranger,
        "templates": templates,
        "segments": segments,
        "care": care,
    }


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def queries_for(client: Client, url: str) -> int:
    """How many queries one GET of `url` costs (the session is warmed first)."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def library_state() -> tuple:
    """Everything the library pages could write, to prove a refused request changed nothing."""
    with network_wide(reason="test check"):
        return (
            tuple(
                MessageTemplate.objects.order_by("id").values_list(
                    "id", "dealer_id", "name", "channel", "purpose", "body_en", "body_zh", "is_active"
                )
            ),
            tuple(
                Segment.objects.order_by("id").values_list("id", "dealer_id", "name", "filters", "last_count")
            ),
            tuple(
                CareProgram.objects.order_by("id").values_list(
                    "id", "dealer_id", "trigger", "template_id", "send_hour", "is_active"
                )
            ),
            Customer.objects.count(),
            get_user_model().objects.count(),
        )

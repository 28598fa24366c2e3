import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from crm.core.scope import network_wide
from crm.network.models import Role, RoleAssignment, StaffProfile
from tests.factories import PASSWORD, CustomerFactory, DealerFactory, RegionFactory, staff

pytestmark = pytest.mark.django_db
User = get_user_model()


def assignments_snapshot():
    with network_wide(reason="test check"):
        return sorted(RoleAssignment.objects.values_list("id", "user_id", "role", "dealer_id", "is_active"))


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse("login")


def test_sign_in_page_renders_and_signs_in_with_the_right_password(client):
    dealer = DealerFactory()
    seller = staff(Role.SALESPERSON, dealer=dealer)
    page = client.get(reverse("login"))
    assert page.status_code == 200 and b'name="password"' in page.content
    response = client.post(reverse("login"), {"username": seller.username, "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("home")


def test_repeated_wrong_passwords_show_the_lockout_page(client):
    dealer = DealerFactory()
    seller = staff(Role.SALESPERSON, dealer=dealer)
    for _attempt in range(3):
        response = client.post(reverse("login"), {"username": seller.username, "password": "wrong"})
    assert response.status_code == 429
    assert "Sign-in paused" in response.content.decode()


def test_logout_is_a_post(client):
    seller = staff(Role.SALESPERSON, dealer=DealerFactory())
    client.force_login(seller)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).url == reverse("login")


@pytest.mark.parametrize(
    ("role", "where", "target"),
    [
        (Role.SALESPERSON, "dealer", "leads:my_day"),
        (Role.SALES_MANAGER, "dealer", "leads:team"),
        (Role.SERVICE_ADVISOR, "dealer", "service:workshop"),
        (Role.CALL_CENTRE_AGENT, None, "customers:search"),
        (Role.REGIONAL_MANAGER, "region", "dealers:network"),
        (Role.OEM_ADMIN, None, "network_overview"),
    ],
)
def test_home_sends_each_role_to_its_start_page(client, role, where, target):
    dealer = DealerFactory()
    place = (
        {"dealer": dealer} if where == "dealer" else {"region": dealer.region} if where == "region" else {}
    )
    client.force_login(staff(role, **place))
    assert client.get(reverse("home")).url == reverse(target)


def test_home_sends_a_dealer_admin_to_their_staff_page(client):
    dealer = DealerFactory()
    client.force_login(staff(Role.DEALER_ADMIN, dealer=dealer))
    assert client.get(reverse("home")).url == reverse("dealer_staff", args=[dealer.id])


def test_regional_manager_sees_only_their_regions_dealers_with_counts(client):
    east, west = RegionFactory(name="East"), RegionFactory(name="West")
    mine, other = (
        DealerFactory(region=east, name="Pudong Motors"),
        DealerFactory(region=west, name="Chengdu Auto"),
    )
    staff(Role.SALESPERSON, dealer=mine)
    CustomerFactory(dealer=mine)
    CustomerFactory(dealer=mine)
    CustomerFactory(dealer=other)
    client.force_login(staff(Role.REGIONAL_MANAGER, region=east))
    response = client.get(reverse("network_overview"))
    assert response.status_code == 200
    dealers = response.context["dealers"]
    assert [d.id for d in dealers] == [mine.id]
    assert dealers[0].staff_count == 1 and dealers[0].customer_count == 2
    assert "Chengdu Auto" not in response.content.decode()


def test_network_overview_query_count_does_not_grow_with_dealers(client, django_assert_max_num_queries):
    region = RegionFactory()
    for _ in range(12):
        dealer = DealerFactory(region=region)
        staff(Role.SALESPERSON, dealer=dealer)
        CustomerFactory(dealer=dealer)
    client.force_login(staff(Role.OEM_ADMIN))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("network_overview"))
    assert len(response.context["dealers"]) == 12


def test_salesperson_cannot_open_the_network_overview(client):
    client.force_login(staff(Role.SALESPERSON, dealer=DealerFactory()))
    assert client.get(reverse("network_overview")).status_code == 404


def test_dealer_admin_adds_a_staff_member_who_can_sign_in(client):
    dealer = DealerFactory()
    client.force_login(staff(Role.DEALER_ADMIN, dealer=dealer))
    response = client.post(
        reverse("dealer_staff", args=[dealer.id]),
        {
            "first_name": "Li",
            "last_name": "Lei",
            "username": "lilei",
            "role": Role.SALESPERSON,
            "password": "Showroom-2024!",
        },
    )
    assert response.status_code == 302
    with network_wide(reason="test check"):
        assignment = RoleAssignment.objects.get(user__username="lilei")
    assert assignment.dealer_id == dealer.id and assignment.role == Role.SALESPERSON
    client.logout()
    signed_in = client.post(reverse("login"), {"username": "lilei", "password": "Showroom-2024!"})
    assert signed_in.status_code == 302 and signed_in.url == reverse("home")


def test_staff_form_shows_the_service_error_for_a_taken_username(client):
    dealer, other = DealerFactory(), DealerFactory()
    staff(Role.SALESPERSON, dealer=other, username="taken")
    client.force_login(staff(Role.DEALER_ADMIN, dealer=dealer))
    before = assignments_snapshot()
    response = client.post(
        reverse("dealer_staff", args=[dealer.id]),
        {"first_name": "X", "username": "taken", "role": Role.SALESPERSON, "password": "Showroom-2024!"},
    )
    assert response.status_code == 200
    assert "already in use" in response.content.decode()
    assert assignments_snapshot() == before


def test_dealer_admin_deactivates_a_role(client):
    dealer = DealerFactory()
    seller = staff(Role.SALESPERSON, dealer=dealer)
    client.force_login(staff(Role.DEALER_ADMIN, dealer=dealer))
    with network_wide(reason="test"):
        assignment = RoleAssignment.objects.get(user=seller)
    response = client.post(reverse("staff_deactivate", args=[dealer.id, assignment.id]))
    assert response.status_code == 302
    with network_wide(reason="test"):
        assignment.refresh_from_db()
    assert not assignment.is_active


def test_dealer_admin_of_another_dealer_can_neither_see_nor_change_staff(client):
    dealer, other = DealerFactory(), DealerFactory()
    seller = staff(Role.SALESPERSON, dealer=dealer)
    client.force_login(staff(Role.DEALER_ADMIN, dealer=other))
    before = assignments_snapshot()
    with network_wide(reason="test"):
        assignment = RoleAssignment.objects.get(user=seller)
    assert client.get(reverse("dealer_staff", args=[dealer.id])).status_code == 404
    assert client.post(reverse("staff_deactivate", args=[dealer.id, assignment.id])).status_code == 404
    response = client.post(
        reverse("dealer_staff", args=[dealer.id]),
        {"first_name": "X", "username": "intruder", "role": Role.SALESPERSON, "password": "Showroom-2024!"},
    )
    assert response.status_code == 404
    assert assignments_snapshot() == before
    assert not User.objects.filter(username="intruder").exists()


def test_regional_manager_reads_a_dealers_staff_but_cannot_change_it(client):
    dealer = DealerFactory()
    seller = staff(Role.SALESPERSON, dealer=dealer)
    client.force_login(staff(Role.REGIONAL_MANAGER, region=dealer.region))
    with network_wide(reason="test"):
        assignment = RoleAssignment.objects.get(user=seller)
    before = assignments_snapshot()
    page = client.get(reverse("dealer_staff", args=[dealer.id]))
    assert page.status_code == 200 and seller.username in page.content.decode()
    assert page.context["form"] is None
    assert client.post(reverse("staff_deactivate", args=[dealer.id, assignment.id])).status_code == 404
    response = client.post(
        reverse("dealer_staff", args=[dealer.id]),
        {"first_name": "X", "username": "sneaky", "role": Role.SALESPERSON, "password": "Showroom-2024!"},
    )
    assert response.status_code == 404
    assert assignments_snapshot() == before


def test_salesperson_cannot_see_their_dealers_staff_page(client):
    dealer = DealerFactory()
    client.force_login(staff(Role.SALESPERSON, dealer=dealer))
    assert client.get(reverse("dealer_staff", args=[dealer.id])).status_code == 404


def test_language_switch_saves_the_profile_and_the_cookie(client):
    seller = staff(Role.SALESPERSON, dealer=DealerFactory())
    StaffProfile.objects.filter(user=seller).delete()
    client.force_login(seller)
    response = client.post(
        reverse("language_set"), {"language": "zh-hans", "next": reverse("customers:search")}
    )
    assert response.status_code == 302 and response.url == reverse("customers:search")
    assert response.cookies["django_language"].value == "zh-hans"
    assert StaffProfile.objects.get(user=seller).language == "zh-hans"
    page = client.get(reverse("customers:search"))
    assert "客户" in page.content.decode()


def test_language_switch_refuses_a_foreign_redirect(client):
    client.force_login(staff(Role.SALESPERSON, dealer=DealerFactory()))
    response = client.post(reverse("language_set"), {"language": "en", "next": "https://evil.example/"})
    assert response.url == reverse("home")

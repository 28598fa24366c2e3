"""Two-factor sign-in: a code from an authenticator app after the password, required for OEM roles and
dealer admins, with single-use recovery codes, throttled wrong codes, and an admin's reset."""

import re
from datetime import timedelta

import pyotp
import pytest
from django.urls import reverse
from django.utils import timezone

from crm.network.models import RecoveryCode, Role, TwoFactorDevice
from crm.network.two_factor.services import recovery_code_hash, two_factor_demo_device_set
from crm.network.two_factor.views import ENROL_SECRET
from tests.factories import PASSWORD, DealerFactory, staff

pytestmark = pytest.mark.django_db
SECRET = pyotp.random_base32()


def sign_in(client, user, **extra):
    return client.post(reverse("login"), {"username": user.username, "password": PASSWORD, **extra})


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def code(secret=SECRET, *, steps_ahead: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(timezone.now()) + steps_ahead)


def with_device(user, secret=SECRET):
    two_factor_demo_device_set(user=user, secret=secret)
    return user


def test_a_salesperson_without_a_device_signs_in_with_the_password_alone(client):
    seller = staff(Role.SALESPERSON, dealer=DealerFactory())
    response = sign_in(client, seller)
    assert response.status_code == 302 and response.url == reverse("home")
    assert is_signed_in(client)


@pytest.mark.parametrize("role", [Role.DEALER_ADMIN, Role.OEM_ADMIN, Role.CALL_CENTRE_AGENT])
def test_a_required_role_without_a_device_must_enrol_before_anything_else(client, role):
    user = staff(role, dealer=DealerFactory() if role == Role.DEALER_ADMIN else None)
    response = sign_in(client, user)
    assert response.status_code == 302 and response.url == reverse("two_factor_enrol")
    assert not is_signed_in(client)
    # Nothing else answers for a half-finished sign-in: pages send to sign-in, the API refuses.
    assert client.get(reverse("home")).url == reverse("login")
    assert client.get("/api/v1/customers/").status_code in (401, 403)

    page = client.get(reverse("two_factor_enrol"))
    assert page.status_code == 200 and b"<svg" in page.content
    secret = client.session[ENROL_SECRET]
    assert secret in page.content.decode()
    wrong = client.post(reverse("two_factor_enrol"), {"code": "000000" if code(secret) != "000000" else "111111"})
    assert wrong.status_code == 400 and not is_signed_in(client)
    assert not TwoFactorDevice.objects.filter(user=user).exists()

    done = client.post(reverse("two_factor_enrol"), {"code": code(secret)})
    assert done.status_code == 200 and is_signed_in(client)
    assert done.headers["Cache-Control"].startswith("max-age=0")
    shown = re.findall(r"<li>([a-z0-9]{5}-[a-z0-9]{5})</li>", done.content.decode())
    assert len(shown) == 10
    stored = list(RecoveryCode.objects.filter(user=user).values_list("code_hash", flat=True))
    assert sorted(stored) == sorted(recovery_code_hash(shown_code) for shown_code in shown)
    assert not any(shown_code.replace("-", "") in hashed for shown_code in shown for hashed in stored)
    assert TwoFactorDevice.objects.get(user=user).secret == secret


def test_a_user_with_a_device_types_a_code_after_the_password(client):
    seller = with_device(staff(Role.SALESPERSON, dealer=DealerFactory()))
    response = sign_in(client, seller, next="/customers/")
    assert response.url == reverse("two_factor_verify") and not is_signed_in(client)
    wrong = client.post(reverse("two_factor_verify"), {"code": "12345x"})
    assert wrong.status_code == 400 and "not right" in wrong.content.decode() and not is_signed_in(client)
    right = client.post(reverse("two_factor_verify"), {"code": code()})
    assert right.status_code == 302 and right.url == "/customers/"
    assert is_signed_in(client)


def test_a_code_is_accepted_once(client):
    seller = with_device(staff(Role.SALESPERSON, dealer=DealerFactory()))
    used = code()
    sign_in(client, seller)
    assert client.post(reverse("two_factor_verify"), {"code": used}).status_code == 302
    client.logout()
    sign_in(client, seller)
    replayed = client.post(reverse("two_factor_verify"), {"code": used})
    assert replayed.status_code == 400 and not is_signed_in(client)


def test_a_recovery_code_signs_in_once_and_says_how_many_are_left(client):
    admin = staff(Role.DEALER_ADMIN, dealer=DealerFactory())
    sign_in(client, admin)
    client.get(reverse("two_factor_enrol"))
    secret = client.session[ENROL_SECRET]
    page = client.post(reverse("two_factor_enrol"), {"code": code(secret)})
    recovery = re.findall(r"<li>([a-z0-9]{5}-[a-z0-9]{5})</li>", page.content.decode())[0]
    client.logout()

    sign_in(client, admin)
    response = client.post(reverse("two_factor_verify"), {"code": recovery.upper().replace("-", " ")}, follow=True)
    assert is_signed_in(client)
    assert "9 left" in response.content.decode()
    client.logout()
    sign_in(client, admin)
    assert client.post(reverse("two_factor_verify"), {"code": recovery}).status_code == 400
    assert not is_signed_in(client)


def test_wrong_codes_are_throttled_for_the_user_whatever_the_address(client, settings):
    admin = with_device(staff(Role.DEALER_ADMIN, dealer=DealerFactory()))
    sign_in(client, admin)
    answers = [
        client.post(reverse("two_factor_verify"), {"code": "000000"}, REMOTE_ADDR=f"203.0.113.{n}").status_code
        for n in range(settings.TWO_FACTOR_FAILURE_LIMIT)
    ]
    assert answers == [400] * (settings.TWO_FACTOR_FAILURE_LIMIT - 1) + [429]
    locked = client.post(reverse("two_factor_verify"), {"code": code()})
    assert locked.status_code == 429 and not is_signed_in(client)
    TwoFactorDevice.objects.filter(user=admin).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert client.post(reverse("two_factor_verify"), {"code": code()}).status_code == 302
    assert is_signed_in(client)


def test_a_half_finished_sign_in_expires(client, settings):
    admin = with_device(staff(Role.DEALER_ADMIN, dealer=DealerFactory()))
    sign_in(client, admin)
    session = client.session
    session["two_factor_pending"]["at"] -= settings.TWO_FACTOR_PENDING_MINUTES * 60 + 1
    session.save()
    response = client.post(reverse("two_factor_verify"), {"code": code()})
    assert response.status_code == 302 and response.url == reverse("login") and not is_signed_in(client)


def test_force_login_is_a_finished_sign_in(client):
    # The suite signs users in with force_login: it bypasses the sign-in pages, like a finished sign-in.
    client.force_login(staff(Role.OEM_ADMIN))
    assert client.get(reverse("network_overview")).status_code == 200


def test_a_dealer_admin_resets_a_staff_members_two_factor_and_another_dealers_admin_cannot(client):
    dealer, other = DealerFactory(), DealerFactory()
    seller = with_device(staff(Role.SALESPERSON, dealer=dealer))
    assignment = seller.role_assignments.get()
    url = reverse("staff_two_factor_reset", kwargs={"dealer_id": dealer.id, "assignment_id": assignment.id})

    client.force_login(staff(Role.DEALER_ADMIN, dealer=other))
    assert client.post(url).status_code == 404
    foreign_url = reverse("staff_two_factor_reset", kwargs={"dealer_id": other.id, "assignment_id": assignment.id})
    assert client.post(foreign_url).status_code == 404
    assert TwoFactorDevice.objects.filter(user=seller).exists()

    client.force_login(staff(Role.DEALER_ADMIN, dealer=dealer))
    page = client.get(reverse("dealer_staff", kwargs={"dealer_id": dealer.id}))
    assert url in page.content.decode()
    assert client.post(url).status_code == 302
    assert not TwoFactorDevice.objects.filter(user=seller).exists()
    assert not RecoveryCode.objects.filter(user=seller).exists()


def test_a_dealer_admin_cannot_reset_an_oem_user_who_also_works_at_the_dealer(client):
    dealer = DealerFactory()
    auditor = with_device(staff(Role.SALESPERSON, dealer=dealer))
    auditor.role_assignments.create(role=Role.CALL_CENTRE_AGENT)
    assignment = auditor.role_assignments.get(role=Role.SALESPERSON)
    client.force_login(staff(Role.DEALER_ADMIN, dealer=dealer))
    url = reverse("staff_two_factor_reset", kwargs={"dealer_id": dealer.id, "assignment_id": assignment.id})
    assert client.post(url).status_code == 404
    assert TwoFactorDevice.objects.filter(user=auditor).exists()


def test_a_required_role_cannot_turn_it_off_but_an_optional_one_can(client):
    admin = with_device(staff(Role.DEALER_ADMIN, dealer=DealerFactory()))
    client.force_login(admin)
    refused = client.post(reverse("two_factor_disable"), {"code": code()})
    assert refused.status_code == 400 and TwoFactorDevice.objects.filter(user=admin).exists()

    seller = with_device(staff(Role.SALESPERSON, dealer=DealerFactory()))
    client.force_login(seller)
    assert client.post(reverse("two_factor_disable"), {"code": "000000"}).status_code == 400
    assert client.post(reverse("two_factor_disable"), {"code": code()}).status_code == 302
    assert not TwoFactorDevice.objects.filter(user=seller).exists()


def test_new_recovery_codes_replace_the_old_ones(client):
    seller = with_device(staff(Role.SALESPERSON, dealer=DealerFactory()))
    client.force_login(seller)
    first = client.post(reverse("two_factor_recovery_codes"), {"code": code()})
    second = client.post(reverse("two_factor_recovery_codes"), {"code": code(steps_ahead=1)})
    old = re.findall(r"<li>([a-z0-9]{5}-[a-z0-9]{5})</li>", first.content.decode())
    new = re.findall(r"<li>([a-z0-9]{5}-[a-z0-9]{5})</li>", second.content.decode())
    assert len(old) == len(new) == 10 and not set(old) & set(new)
    hashes = set(RecoveryCode.objects.filter(user=seller).values_list("code_hash", flat=True))
    assert hashes == {recovery_code_hash(each) for each in new}


def test_the_admin_sign_in_sends_to_the_product_sign_in(client):
    response = client.get(reverse("admin:login") + "?next=/admin/")
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert "next=/admin/" in response.url

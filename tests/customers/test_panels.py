"""Higher apps add panels to the customer page through crm.customers.panels, per viewer."""

import pytest
from django.test import override_settings
from django.urls import reverse

from crm.customers.panels import CustomerPanel, panel_register, panel_unregister
from crm.network.models import Role
from tests.factories import CustomerFactory, DealerFactory, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def panel_templates(tmp_path, settings):
    (tmp_path / "panel_test").mkdir()
    (tmp_path / "panel_test" / "panel.html").write_text(
        '<section class="app-card" id="test-panel-{{ panel.where }}">{{ panel.text }}</section>'
    )
    templates = [dict(engine) for engine in settings.TEMPLATES]
    templates[0]["DIRS"] = [*templates[0]["DIRS"], str(tmp_path)]
    with override_settings(TEMPLATES=templates):
        yield


@pytest.fixture
def registered(panel_templates):
    def context_for(where):
        def context(request, customer):
            if not request.access.dealers_where(Role.SERVICE_ADVISOR):
                return None
            return {"where": where, "text": f"visits of customer {customer.id}"}

        return context

    panel_register(
        CustomerPanel(key="test_main", order=10, column="main", template="panel_test/panel.html", context=context_for("main")),
        CustomerPanel(key="test_side", order=10, column="side", template="panel_test/panel.html", context=context_for("side")),
    )
    yield
    panel_unregister("test_main")
    panel_unregister("test_side")


def test_a_registered_panel_shows_in_its_column_for_a_viewer_it_allows(client, registered):
    dealer = DealerFactory()
    customer = CustomerFactory(dealer=dealer)
    client.force_login(staff(Role.SERVICE_ADVISOR, dealer=dealer))
    page = client.get(reverse("customers:detail", args=[customer.id])).content.decode()
    assert f'id="test-panel-main">visits of customer {customer.id}' in page
    assert f'id="test-panel-side">visits of customer {customer.id}' in page


def test_a_panel_answering_none_is_left_out(client, registered):
    dealer = DealerFactory()
    customer = CustomerFactory(dealer=dealer)
    client.force_login(staff(Role.SALESPERSON, dealer=dealer))
    response = client.get(reverse("customers:detail", args=[customer.id]))
    assert response.status_code == 200
    assert "test-panel-" not in response.content.decode()

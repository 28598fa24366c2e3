"""The funnel's set-up: questionnaire versions edited by OEM admins (a lead keeps the version it was graded
with) and the follow-up cadence (the OEM's ranges, each dealer's value inside them)."""

import pytest
from django.urls import reverse

from crm.core.exceptions import PermissionDenied
from crm.core.scope import network_wide, scoped
from crm.network.access import access_for
from crm.network.models import Role
from leads.models import CadencePolicy, DealerCadence, Grade, Lead, LeadType, Questionnaire
from leads.services import cadence_days, lead_answers_record, lead_capture
from leads.setup import services as setup_services
from leads.setup.forms import draft_from_questionnaire
from tests.factories import DealerFactory, RegionFactory, staff

pytestmark = pytest.mark.django_db

EDITOR = reverse("leads_setup:questionnaire_edit")
VERSIONS = reverse("leads_setup:questionnaires")
CADENCE = reverse("leads_setup:cadence")


def everything():
    return network_wide(reason="test")


def as_user(user):
    return scoped(access_for(user).scope)


def client_for(client, user):
    client.force_login(user)
    return client


def questionnaire_state() -> tuple:
    with everything():
        return tuple(
            Questionnaire.objects.order_by("version").values_list(
                "version", "title", "questions", "rules", "is_active"
            )
        )


def v1() -> Questionnaire:
    with everything():
        return Questionnaire.objects.get(version=1)


def editor_post(questionnaire: Questionnaire, **changes) -> dict:
    """The editor's POST for `questionnaire` as it stands (plus `changes`), as the page would send it."""
    draft = draft_from_questionnaire(questionnaire)
    data = {"title": draft["title"], "default_grade": draft["default_grade"]}
    for qi, question in enumerate(draft["questions"]):
        data[f"q-{qi}-key"] = question["key"]
        data[f"q-{qi}-kind"] = question["kind"]
        data[f"q-{qi}-label-en"] = question["label_en"]
        data[f"q-{qi}-label-zh-hans"] = question["label_zh_hans"]
        for oi, option in enumerate(question["options"]):
            data[f"q-{qi}-o-{oi}-value"] = option["value"]
            data[f"q-{qi}-o-{oi}-label-en"] = option["label_en"]
            data[f"q-{qi}-o-{oi}-label-zh-hans"] = option["label_zh_hans"]
    for ri, rule in enumerate(draft["rules"]):
        data[f"r-{ri}-grade"] = rule["grade"]
        for ci, condition in enumerate(rule["conditions"]):
            data[f"r-{ri}-c-{ci}-question"] = condition["question"]
            data[f"r-{ri}-c-{ci}-values"] = condition["values"]
    data.update(changes)
    return data


def with_finance_question(questionnaire: Questionnaire, **changes) -> dict:
    """v1 plus a question "test_drive_done" and a first rule: H when the prospect already test-drove."""
    q = len(questionnaire.questions)
    r = len(questionnaire.rules)
    data = editor_post(
        questionnaire,
        **{
            "title": "Showroom screening 2",
            f"q-{q}-key": "test_drive_done",
            f"q-{q}-kind": "choice",
            f"q-{q}-label-en": "Test drive done?",
            f"q-{q}-label-zh-hans": "已试驾？",
            f"q-{q}-o-0-value": "yes",
            f"q-{q}-o-0-label-en": "Yes",
            f"q-{q}-o-0-label-zh-hans": "是",
            f"q-{q}-o-1-value": "no",
            f"q-{q}-o-1-label-en": "No",
            f"q-{q}-o-1-label-zh-hans": "否",
        },
    )
    # The new rule goes last in the post; then it is moved to the top with the editor's "up" steps.
    data[f"r-{r}-grade"] = "H"
    data[f"r-{r}-c-0-question"] = "test_drive_done"
    data[f"r-{r}-c-0-values"] = ["yes"]
    data.update(changes)
    return data


@pytest.fixture
def shop():
    dealer = DealerFactory(time_zone="Asia/Shanghai")
    return {
        "dealer": dealer,
        "seller": staff(Role.SALESPERSON, dealer=dealer),
        "manager": staff(Role.SALES_MANAGER, dealer=dealer),
        "admin": staff(Role.OEM_ADMIN),
    }


def capture(shop, phone: str) -> Lead:
    with as_user(shop["seller"]):
        return lead_capture(
            dealer=shop["dealer"], by=shop["seller"], name="Prospect", type=LeadType.WALK_IN, phones=[phone]
        ).lead


# Questionnaire versions -------------------------------------------------------------------------------


def test_oem_admin_creates_version_2_with_a_new_question_and_rule_and_activates_it(client, shop):
    lead_before = capture(shop, "13900001111")
    with as_user(shop["seller"]):
        lead_answers_record(lead=lead_before, by=shop["seller"], answers={"timeframe": "within_3_months"})
    client_for(client, shop["admin"])

    data = with_finance_question(v1())
    # Move the new rule (last) to the top, one step at a time, as the editor's buttons do.
    rule_count = len(v1().rules)
    for position in range(rule_count, 0, -1):
        data["op"] = f"up-r-{position}"
        response = client.post(EDITOR, data)
        assert response.status_code == 200
        assert len(questionnaire_state()) == 1
        data = _reposted(response, data, position)
    data["op"] = "save"
    response = client.post(EDITOR, data)
    assert response.status_code == 302, response.content.decode()[:2000]

    with everything():
        version_2 = Questionnaire.objects.get(version=2)
        assert not version_2.is_active and Questionnaire.objects.get(version=1).is_active
        assert version_2.created_by == shop["admin"]
        assert version_2.rules[0] == {"grade": "H", "when": {"test_drive_done": ["yes"]}}
        assert [q["key"] for q in version_2.questions][-1] == "test_drive_done"
    assert questionnaire_state()[0][2:4] == (v1().questions, v1().rules)  # v1 untouched

    response = client.post(reverse("leads_setup:questionnaire_activate", args=[version_2.pk]))
    assert response.status_code == 302
    with everything():
        assert list(Questionnaire.objects.filter(is_active=True).values_list("version", flat=True)) == [2]

    # The lead graded under v1 keeps v1; a new grading uses v2 (and its new rule).
    with everything():
        lead_before.refresh_from_db()
    assert lead_before.questionnaire.version == 1 and lead_before.grade == Grade.B
    lead_after = capture(shop, "13900002222")
    with as_user(shop["seller"]):
        lead_after = lead_answers_record(
            lead=lead_after, by=shop["seller"], answers={"timeframe": "later", "test_drive_done": "yes"}
        )
    assert lead_after.questionnaire.version == 2 and lead_after.grade == Grade.H
    with everything():
        lead_before.refresh_from_db()
    assert lead_before.questionnaire.version == 1

    page = client.get(VERSIONS)
    assert page.status_code == 200
    counts = {v.version: v.lead_count for v in page.context["versions"]}
    assert counts == {1: 1, 2: 1}


def _reposted(response, data: dict, position: int) -> dict:
    """After an "up" step the page renders the rules in their new order: swap them in the post too."""
    rule_keys = sorted({key.split("-")[1] for key in data if key.startswith("r-")}, key=int)
    assert str(position) in rule_keys
    swapped = {}
    for key, value in data.items():
        if key.startswith(f"r-{position}-"):
            swapped[f"r-{position - 1}-" + key.split("-", 2)[2]] = value
        elif key.startswith(f"r-{position - 1}-"):
            swapped[f"r-{position}-" + key.split("-", 2)[2]] = value
        else:
            swapped[key] = value
    rendered = response.content.decode()
    assert f'name="r-{position - 1}-grade"' in rendered
    return swapped


def test_the_editor_steps_add_and_remove_without_saving_anything(client, shop):
    before = questionnaire_state()
    client_for(client, shop["admin"])
    data = editor_post(v1(), op="add-question")
    response = client.post(EDITOR, data)
    assert response.status_code == 200
    draft = response.context["draft"]
    assert len(draft["questions"]) == len(v1().questions) + 1
    assert len(draft["questions"][-1]["options"]) == 2
    response = client.post(EDITOR, editor_post(v1(), op="remove-q-0"))
    assert [q["key"] for q in response.context["draft"]["questions"]][0] == v1().questions[1]["key"]
    response = client.post(EDITOR, editor_post(v1(), op="add-condition-0"))
    assert len(response.context["draft"]["rules"][0]["conditions"]) == 2
    assert questionnaire_state() == before


def test_try_it_grades_the_unsaved_rules(client, shop):
    client_for(client, shop["admin"])
    data = editor_post(v1(), op="try", **{"try-timeframe": "within_month"})
    response = client.post(EDITOR, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response.context["try_grade"] == Grade.A
    # Change the rule in the draft (not saved): the same answer now grades H.
    data["r-1-grade"] = "H"
    response = client.post(EDITOR, data, HTTP_HX_REQUEST="true")
    assert response.context["try_grade"] == Grade.H
    assert 'id="try-result"' in response.content.decode()
    assert v1().rules[1]["grade"] == "A"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"q-1-key": "timeframe"}, "key", "already uses the key"),
        ({"q-0-key": "Time Frame"}, "key", "lower-case"),
        ({"q-2-o-1-value": "", "q-2-o-2-value": ""}, "value", "lower-case"),
        ({"r-0-c-0-question": "competitors"}, "question", "question with options"),
        ({"r-0-c-0-values": ["within_7_days", "tomorrow"]}, "values", "no option tomorrow"),
        ({"r-0-grade": "Z"}, "grade", "O, H, A, B or C"),
        ({"q-0-label-zh-hans": ""}, "label_zh_hans", "both languages"),
    ],
)
def test_invalid_editor_input_shows_errors_and_creates_nothing(client, shop, changes, field, message):
    before = questionnaire_state()
    client_for(client, shop["admin"])
    response = client.post(EDITOR, editor_post(v1(), op="save", **changes))
    assert response.status_code == 422
    page = response.content.decode()
    assert "Nothing was saved" in page
    assert message in page
    assert questionnaire_state() == before


def test_a_single_choice_question_needs_two_options(client, shop):
    before = questionnaire_state()
    client_for(client, shop["admin"])
    data = editor_post(v1(), op="save")
    for key in [k for k in data if k.startswith("q-2-o-") and not k.startswith(("q-2-o-0-",))]:
        del data[key]
    response = client.post(EDITOR, data)
    assert response.status_code == 422
    assert "at least 2 options" in response.content.decode()
    assert questionnaire_state() == before


def test_a_rule_cannot_name_an_option_the_question_lost(client, shop):
    """Removing the option a rule tests leaves the rule pointing at nothing: saving refuses."""
    before = questionnaire_state()
    client_for(client, shop["admin"])
    data = editor_post(v1(), op="save")
    data["q-0-o-0-value"] = "this_week"  # the H rule still says within_7_days
    response = client.post(EDITOR, data)
    assert response.status_code == 422
    assert "no option within_7_days" in response.content.decode()
    assert questionnaire_state() == before


@pytest.mark.parametrize(
    "role",
    [Role.SALESPERSON, Role.SALES_MANAGER, Role.DEALER_ADMIN, Role.REGIONAL_MANAGER, Role.CALL_CENTRE_AGENT],
)
def test_only_oem_admins_reach_the_questionnaire_editor(client, shop, role):
    user = (
        staff(role, region=shop["dealer"].region)
        if role == Role.REGIONAL_MANAGER
        else staff(role)
        if role == Role.CALL_CENTRE_AGENT
        else staff(role, dealer=shop["dealer"])
    )
    before = questionnaire_state()
    client_for(client, user)
    assert client.get(VERSIONS).status_code == 404
    assert client.get(EDITOR).status_code == 404
    assert client.post(EDITOR, with_finance_question(v1(), op="save")).status_code == 404
    with everything():
        version_1 = Questionnaire.objects.get(version=1)
        other = Questionnaire.objects.create(
            version=7, title="Draft", questions=[], rules=[], default_grade="C"
        )
    before = questionnaire_state()
    assert client.post(reverse("leads_setup:questionnaire_activate", args=[other.pk])).status_code == 404
    assert questionnaire_state() == before
    with everything():
        assert Questionnaire.objects.get(is_active=True) == version_1
    with pytest.raises(PermissionDenied), everything():
        setup_services.questionnaire_activate(questionnaire=other, by=user)
    assert questionnaire_state() == before


def test_activating_keeps_exactly_one_version_in_use(shop):
    with everything():
        version_2 = setup_services.questionnaire_version_create(
            by=shop["admin"],
            title="Two",
            questions=v1().questions,
            rules=v1().rules,
            default_grade="C",
            activate=True,
        )
        assert list(Questionnaire.objects.filter(is_active=True)) == [version_2]
        setup_services.questionnaire_activate(questionnaire=v1(), by=shop["admin"])
        assert list(Questionnaire.objects.filter(is_active=True).values_list("version", flat=True)) == [1]


def test_versions_list_query_count_is_flat(client, shop, django_assert_max_num_queries):
    client_for(client, shop["admin"])
    client.get(VERSIONS)
    with django_assert_max_num_queries(12) as few:
        assert client.get(VERSIONS).status_code == 200
    with everything():
        for version in range(2, 12):
            Questionnaire.objects.create(
                version=version, title=f"v{version}", questions=v1().questions, rules=[], default_grade="C"
            )
    for phone in ("13900003333", "13900004444"):
        lead = capture(shop, phone)
        with as_user(shop["seller"]):
            lead_answers_record(lead=lead, by=shop["seller"], answers={"timeframe": "later"})
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(VERSIONS)
    assert len(response.context["versions"]) == 11


# Cadence ----------------------------------------------------------------------------------------------


def cadence_state(dealer=None) -> tuple:
    with everything():
        return (
            tuple(
                CadencePolicy.objects.order_by("grade").values_list(
                    "grade", "default_days", "min_days", "max_days"
                )
            ),
            tuple(
                DealerCadence.objects.order_by("dealer_id", "grade").values_list("dealer_id", "grade", "days")
            ),
        )


def policy_post(**changes) -> dict:
    with everything():
        data = {"policy": "1"}
        for policy in CadencePolicy.objects.all():
            data[f"{policy.grade}-min"] = policy.min_days
            data[f"{policy.grade}-default"] = policy.default_days
            data[f"{policy.grade}-max"] = policy.max_days
    data.update(changes)
    return data


def test_oem_changes_a_range_and_a_dealer_manager_picks_inside_and_outside_it(client, shop):
    client_for(client, shop["admin"])
    response = client.post(CADENCE, policy_post(**{"H-min": 2, "H-default": 3, "H-max": 4}))
    assert response.status_code == 302
    with everything():
        assert CadencePolicy.objects.filter(grade="H").values_list(
            "min_days", "default_days", "max_days"
        ).get() == (
            2,
            3,
            4,
        )
    assert cadence_days(dealer_id=shop["dealer"].id, grade="H") == 3

    client_for(client, shop["manager"])
    page = client.get(CADENCE)
    assert page.status_code == 200 and "2–4 days" in page.content.decode()
    response = client.post(CADENCE, {"dealer": shop["dealer"].id, "grade": "H", "days": 4, "action": "set"})
    assert response.status_code == 302
    with as_user(shop["manager"]):
        assert cadence_days(dealer_id=shop["dealer"].id, grade="H") == 4
    page = client.get(CADENCE).content.decode()
    assert "every 4 days" in page

    before = cadence_state()
    response = client.post(CADENCE, {"dealer": shop["dealer"].id, "grade": "H", "days": 9, "action": "set"})
    assert response.status_code == 422
    assert "outside the range the OEM allows" in response.content.decode()
    assert "Choose 2 to 4 days" in response.content.decode()
    assert cadence_state() == before

    # Back to the OEM default.
    response = client.post(CADENCE, {"dealer": shop["dealer"].id, "grade": "H", "action": "reset"})
    assert response.status_code == 302
    with as_user(shop["manager"]):
        assert cadence_days(dealer_id=shop["dealer"].id, grade="H") == 3
        assert not DealerCadence.objects.filter(dealer=shop["dealer"]).exists()


def test_a_narrower_oem_range_moves_dealer_values_inside_it(client, shop):
    with as_user(shop["manager"]):
        from leads.services import cadence_set

        cadence_set(dealer=shop["dealer"], grade="C", days=30, by=shop["manager"])
    client_for(client, shop["admin"])
    response = client.post(CADENCE, policy_post(**{"C-min": 10, "C-default": 12, "C-max": 20}), follow=True)
    assert "1 dealer values outside the new ranges moved" in response.content.decode()
    with everything():
        assert DealerCadence.objects.get(dealer=shop["dealer"], grade="C").days == 20


def test_an_invalid_oem_range_shows_errors_and_saves_nothing(client, shop):
    before = cadence_state()
    client_for(client, shop["admin"])
    response = client.post(CADENCE, policy_post(**{"A-min": 5, "A-default": 4, "A-max": 7}))
    assert response.status_code == 422
    assert "at least ≤ default ≤ at most" in response.content.decode()
    response = client.post(CADENCE, policy_post(**{"B-min": 0}))
    assert response.status_code == 422
    assert cadence_state() == before


def test_only_the_oem_admin_changes_the_oem_ranges(client, shop):
    before = cadence_state()
    client_for(client, shop["manager"])
    response = client.post(CADENCE, policy_post(**{"H-min": 1, "H-default": 1, "H-max": 1}))
    assert response.status_code == 404
    assert cadence_state() == before


def test_another_dealers_manager_cannot_change_this_dealers_cadence(client, shop):
    other_manager = staff(Role.SALES_MANAGER, dealer=DealerFactory())
    seller = shop["seller"]
    before = cadence_state()
    for user in (other_manager, seller):
        client_for(client, user)
        response = client.post(
            CADENCE, {"dealer": shop["dealer"].id, "grade": "H", "days": 2, "action": "set"}
        )
        assert response.status_code == 404
        response = client.get(CADENCE, {"dealer": shop["dealer"].id})
        assert response.status_code == 404
    with pytest.raises(PermissionDenied), as_user(other_manager):
        setup_services.dealer_cadence_reset(dealer=shop["dealer"], grade="H", by=other_manager)
    assert cadence_state() == before


def test_regional_managers_see_the_cadence_read_only(client, shop):
    region = shop["dealer"].region
    regional = staff(Role.REGIONAL_MANAGER, region=region)
    before = cadence_state()
    client_for(client, regional)
    page = client.get(CADENCE, {"dealer": shop["dealer"].id})
    assert page.status_code == 200
    body = page.content.decode()
    assert "Read only" in body and 'name="days"' not in body and 'name="policy"' not in body
    response = client.post(CADENCE, {"dealer": shop["dealer"].id, "grade": "H", "days": 2, "action": "set"})
    assert response.status_code == 404
    response = client.post(CADENCE, policy_post())
    assert response.status_code == 404
    far = DealerFactory(region=RegionFactory(code="far"))
    assert client.get(CADENCE, {"dealer": far.id}).status_code == 404
    assert cadence_state() == before


def test_cadence_page_query_count_is_flat(client, shop, django_assert_max_num_queries):
    client_for(client, shop["admin"])
    client.get(CADENCE)
    with django_assert_max_num_queries(14) as few:
        assert client.get(CADENCE).status_code == 200
    for _ in range(8):
        DealerFactory(region=shop["dealer"].region)
    with as_user(shop["manager"]):
        from leads.services import cadence_set

        for grade, days in (("H", 3), ("A", 5), ("B", 9)):
            cadence_set(dealer=shop["dealer"], grade=grade, days=days, by=shop["manager"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(CADENCE, {"dealer": shop["dealer"].id}).status_code == 200
    client_for(client, shop["manager"])
    client.get(CADENCE)
    with django_assert_max_num_queries(14):
        assert client.get(CADENCE).status_code == 200

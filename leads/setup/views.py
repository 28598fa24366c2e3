"""Set-up pages of the funnel: the screening questionnaire's versions and editor (OEM admins), and the
follow-up cadence per grade (the OEM's ranges; each dealer's own value inside them)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.core.exceptions import ApplicationError, NotFound, PermissionDenied
from crm.core.http import is_htmx
from leads import permissions
from leads.exceptions import QuestionnaireInvalid
from leads.models import Grade
from leads.services import cadence_set
from leads.setup import selectors, services
from leads.setup.forms import (
    GRADE_CHOICES,
    KIND_CHOICES,
    CadencePolicyForm,
    DealerCadenceForm,
    draft_apply,
    draft_attach_errors,
    draft_from_post,
    draft_from_questionnaire,
    draft_payload,
    draft_problems,
    draft_try,
    label_in_language,
    operation,
)
from leads.setup.services import Problem


def _require_questionnaire_admin(request) -> None:
    if not permissions.can_edit_questionnaires(request.access):
        raise Http404


def _redirect(request, url: str):
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


# Questionnaires -----------------------------------------------------------------------------------------


@login_required
@require_GET
def questionnaires(request):
    _require_questionnaire_admin(request)
    versions = list(selectors.questionnaires_with_counts(user=request.user))
    return render(request, "leads/setup/questionnaires.html", {"versions": versions})


@login_required
@require_POST
def questionnaire_activate(request, questionnaire_id: int):
    _require_questionnaire_admin(request)
    questionnaire = selectors.questionnaire_get(user=request.user, questionnaire_id=questionnaire_id)
    if questionnaire is None:
        raise Http404
    try:
        services.questionnaire_activate(questionnaire=questionnaire, by=request.user)
    except (NotFound, PermissionDenied) as error:
        raise Http404 from error
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Version %(version)s is in use: new gradings follow it; graded leads keep their version.")
            % {"version": questionnaire.version},
        )
    return redirect("leads_setup:questionnaires")


def _starting_point(request):
    """The version a new one starts from: `?from=<version id>`, else the one in use."""
    wanted = request.GET.get("from", "")
    if wanted.isdigit():
        questionnaire = selectors.questionnaire_get(user=request.user, questionnaire_id=int(wanted))
        if questionnaire is None:
            raise Http404
        return questionnaire
    return selectors.questionnaire_in_use()


@login_required
@require_http_methods(["GET", "POST"])
def questionnaire_edit(request):
    """Every step posts the whole draft: editing steps re-render it, "try" grades the picked answers,
    "save" creates the next version (nothing is stored before)."""
    _require_questionnaire_admin(request)
    base = _starting_point(request)
    problems: list[Problem] = []
    if request.method == "GET":
        draft = draft_from_questionnaire(base)
        op = "refresh"
    else:
        draft = draft_from_post(request.POST)
        op = operation(request.POST)
        if op in ("save", "save-activate"):
            problems = draft_problems(draft)
            if not problems:
                questions, rules, _problems = draft_payload(draft)
                try:
                    created = services.questionnaire_version_create(
                        by=request.user,
                        title=draft["title"],
                        questions=questions,
                        rules=rules,
                        default_grade=draft["default_grade"],
                        activate=op == "save-activate",
                    )
                except (NotFound, PermissionDenied) as error:
                    raise Http404 from error
                except QuestionnaireInvalid as error:
                    problems = [Problem(p["field"], p["message"]) for p in error.extra.get("problems", [])]
                except ApplicationError as error:
                    problems = [Problem("", str(error.message))]
                else:
                    text = (
                        _("Version %(version)s saved and in use.")
                        if created.is_active
                        else _("Version %(version)s saved. Put it in use when you are ready.")
                    )
                    messages.success(request, text % {"version": created.version})
                    return _redirect(request, reverse("leads_setup:questionnaires"))
        elif op != "try":
            draft_apply(draft, op)
    general_errors = draft_attach_errors(draft, problems)
    answers, grade = draft_try(draft, request.POST if request.method == "POST" else request.GET)
    context = {
        "base": base,
        "draft": draft,
        "general_errors": general_errors,
        "has_errors": bool(problems),
        "kind_choices": KIND_CHOICES,
        "grade_choices": GRADE_CHOICES,
        "option_questions": _decorate(draft, answers),
        "try_answers": answers,
        "try_grade": grade,
        "try_grade_label": Grade(grade).label if grade else "",
        "next_version": selectors.questionnaire_next_version(),
    }
    status = 422 if problems and not is_htmx(request) else 200
    return render(request, "leads/setup/questionnaire_edit.html", context, status=status)


def _label(item: dict, fallback: str) -> str:
    return label_in_language({"en": item["label_en"], "zh-hans": item["label_zh_hans"]}, fallback)


def _decorate(draft: dict, answers: dict) -> list[dict]:
    """Labels in the user's language for the rule pickers and the "try it" panel; returns the questions
    a rule can test (those with options)."""
    testable = []
    for question in draft["questions"]:
        if question["kind"] in ("choice", "multi") and question["options"] and question["key"]:
            picked = answers.get(question["key"], [])
            picked = picked if isinstance(picked, list) else [picked]
            testable.append(
                {
                    "key": question["key"],
                    "kind": question["kind"],
                    "label": _label(question, question["key"]),
                    "options": [
                        {
                            "value": option["value"],
                            "label": _label(option, option["value"]),
                            "picked": option["value"] in picked,
                        }
                        for option in question["options"]
                        if option["value"]
                    ],
                }
            )
    by_key = {question["key"]: question for question in testable}
    for rule in draft["rules"]:
        for condition in rule["conditions"]:
            question = by_key.get(condition["question"])
            condition["choices"] = [
                {
                    "value": option["value"],
                    "label": option["label"],
                    "checked": option["value"] in condition["values"],
                }
                for option in (question["options"] if question else [])
            ]
            # Values that no longer exist stay visible (and ticked) so the error beside them makes sense.
            known = {option["value"] for option in condition["choices"]}
            condition["choices"] += [
                {"value": value, "label": value, "checked": True, "unknown": True}
                for value in condition["values"]
                if value not in known
            ]
    return testable


# Cadence ------------------------------------------------------------------------------------------------


def _cadence_dealer(request):
    """The dealer whose cadence the page shows (`?dealer=`, else the first the user may see)."""
    dealers = selectors.cadence_dealers(user=request.user)
    wanted = request.POST.get("dealer") or request.GET.get("dealer") or ""
    if wanted.isdigit():
        dealer = dealers.filter(id=int(wanted)).first()
        if dealer is None:
            raise Http404
        return dealer, dealers
    return dealers.first(), dealers


def _cadence_page(request, *, policy_form=None, dealer_forms=None, status=200):
    dealer, dealers = _cadence_dealer(request)
    is_oem_admin = permissions.can_set_cadence_policies(request.access)
    policies = selectors.cadence_policies()
    rows = selectors.dealer_cadence(dealer_id=dealer.id) if dealer else []
    can_set = bool(dealer) and permissions.can_manage_dealer(request.access, dealer.id)
    dealer_forms = dealer_forms or {}
    for row in rows:
        row.form = dealer_forms.get(row.grade) or DealerCadenceForm(
            initial={"grade": row.grade, "days": row.days}, auto_id=f"id_{row.grade}_%s"
        )
    context = {
        "is_oem_admin": is_oem_admin,
        "policy_form": policy_form or (CadencePolicyForm(policies=policies) if is_oem_admin else None),
        "policies": policies,
        "dealer": dealer,
        "dealers": list(dealers),
        "rows": rows,
        "can_set": can_set,
    }
    return render(request, "leads/setup/cadence.html", context, status=status)


def _require_cadence_reader(request) -> None:
    if not permissions.can_see_cadence(request.access):
        raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def cadence(request):
    """GET: the page. POST: the OEM's policies (OEM admins) or one grade of this dealer (its managers)."""
    _require_cadence_reader(request)
    if request.method == "GET":
        return _cadence_page(request)
    if "policy" in request.POST:
        return _cadence_policy_save(request)
    return _dealer_cadence_save(request)


def _cadence_policy_save(request):
    if not permissions.can_set_cadence_policies(request.access):
        raise Http404
    form = CadencePolicyForm(request.POST, policies=selectors.cadence_policies())
    if not form.is_valid():
        return _cadence_page(request, policy_form=form, status=422)
    try:
        moved = services.cadence_policies_set(by=request.user, policies=form.changes())
    except (NotFound, PermissionDenied) as error:
        raise Http404 from error
    except ApplicationError as error:
        form.add_error(None, str(error.message))
        return _cadence_page(request, policy_form=form, status=422)
    text = _("The OEM follow-up cadence is saved.")
    if moved:
        text += " " + _("%(count)s dealer values outside the new ranges moved to the nearest end.") % {
            "count": moved
        }
    messages.success(request, text)
    return redirect(
        request.path
        + (f"?dealer={request.POST['dealer']}" if request.POST.get("dealer", "").isdigit() else "")
    )


def _dealer_cadence_save(request):
    dealer, _dealers = _cadence_dealer(request)
    if dealer is None or not permissions.can_manage_dealer(request.access, dealer.id):
        raise Http404
    grade = request.POST.get("grade", "")
    form = DealerCadenceForm(request.POST, auto_id=f"id_{grade}_%s" if grade.isalnum() else "id_%s")
    if not form.is_valid():
        return _cadence_page(request, dealer_forms={grade: form}, status=422)
    data = form.cleaned_data
    try:
        if data["action"] == "reset":
            services.dealer_cadence_reset(dealer=dealer, grade=data["grade"], by=request.user)
            text = _("%(grade)s now follows the OEM default.") % {"grade": data["grade"]}
        else:
            cadence_set(dealer=dealer, grade=data["grade"], days=data["days"], by=request.user)
            text = _("%(grade)s: every %(days)s days at %(dealer)s.") % {
                "grade": data["grade"],
                "days": data["days"],
                "dealer": dealer.name,
            }
    except (NotFound, PermissionDenied) as error:
        raise Http404 from error
    except ApplicationError as error:
        message = str(error.message)
        if error.extra.get("min_days") is not None:
            message += " " + _("Choose %(low)s to %(high)s days.") % {
                "low": error.extra["min_days"],
                "high": error.extra["max_days"],
            }
        form.add_error("days", message)
        return _cadence_page(request, dealer_forms={data["grade"]: form}, status=422)
    messages.success(request, text)
    return redirect(f"{request.path}?dealer={dealer.id}")

"""Satisfaction survey pages: the customer's public answer page (a signed link, no login), the call-back
page where an agent records answers, the statistics page and its exports, and the OEM's questionnaire
builder.

The public page answers 404 for a link that is not ours, 410 for one past its date, 409 for an invitation
already answered (a second submission included), and never a 500. Everything renders inside the request's
transaction; exports are built in memory and returned whole.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.core.exceptions import NotFound
from crm.core.http import SPREADSHEET_TYPES, refuse_spreadsheet_format, service_call, spreadsheet_response
from crm.core.scope import network_wide
from crm.network.access import access_for
from loyalty import permissions
from loyalty.exceptions import SurveyAlreadyAnswered, SurveyAnswersInvalid, SurveyExpired
from loyalty.forms import GROUP_LABELS, QuestionForm, QuestionnaireForm, StatisticsFilterForm
from loyalty.models import SurveyInvitation, SurveyKind, SurveyQuestion, SurveyResponse
from loyalty.selectors import surveys as selectors
from loyalty.services import questionnaires as builder
from loyalty.services import surveys as services


def _answers_from(request, questions) -> dict[str, list[str]]:
    return {str(q.id): request.POST.getlist(f"q{q.id}") for q in questions}


def _question_rows(questions, language: str, submitted: dict, errors: dict) -> list[dict]:
    """What the answer form shows for each question: its text, its choices or scores, what was picked."""
    rows = []
    for question in questions:
        picked = submitted.get(str(question.id), [])
        if question.is_scored:
            options = [(str(n), str(n)) for n in range(question.scale_min, question.scale_max + 1)]
        else:
            options = question.choice_labels(language)
        rows.append(
            {
                "question": question,
                "name": f"q{question.id}",
                "text": question.text(language),
                "options": options,
                "picked": picked,
                "text_value": picked[0] if picked and question.type == SurveyQuestion.Type.TEXT else "",
                "error": errors.get(str(question.id), ""),
            }
        )
    return rows


# --- The customer's page -----------------------------------------------------------------------------------


def _public_language(request, invitation) -> str:
    wanted = request.GET.get("lang", "")
    if wanted in ("en", "zh-hans"):
        return wanted
    if invitation is not None:
        return invitation.language
    return translation.get_language_from_request(request)


# The link is the customer's key (no session, no login); the form posts back to the same signed address.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def answer(request, token: str):
    invitation = selectors.invitation_for_link(token)
    language = _public_language(request, invitation)
    context = {"sender_name": invitation.dealer.name if invitation else "", "language": language}
    with translation.override(language):
        if invitation is None:
            response = render(request, "loyalty/surveys/public_gone.html", context | {"state": "invalid"}, status=404)
        elif invitation.has_response:
            response = render(request, "loyalty/surveys/public_gone.html", context | {"state": "answered"}, status=409)
        elif invitation.status != SurveyInvitation.Status.SENT or invitation.expires_at <= timezone.now():
            response = render(request, "loyalty/surveys/public_gone.html", context | {"state": "expired"}, status=410)
        else:
            response = _answer_form(request, invitation, context, language)
    response["Content-Language"] = language
    return response


def _answer_form(request, invitation, context, language):
    submitted, errors, message = {}, {}, ""
    if request.method == "POST":
        submitted = _answers_from(request, invitation.questions)
        try:
            with network_wide(reason="survey link: the customer answers the invitation the link names"):
                services.response_submit(invitation=invitation, answers=submitted)
        except SurveyAlreadyAnswered:
            return render(request, "loyalty/surveys/public_gone.html", context | {"state": "answered"}, status=409)
        except SurveyExpired:
            return render(request, "loyalty/surveys/public_gone.html", context | {"state": "expired"}, status=410)
        except SurveyAnswersInvalid as error:
            errors, message = error.extra.get("errors", {}), str(error.message)
        else:
            return render(request, "loyalty/surveys/public_gone.html", context | {"state": "thanks"})
    context |= {
        "invitation": invitation,
        "rows": _question_rows(invitation.questions, language, submitted, errors),
        "message": message,
        "kind_label": SurveyKind(invitation.kind).label,
    }
    return render(request, "loyalty/surveys/public_answer.html", context, status=400 if message else 200)


# --- Call-backs ------------------------------------------------------------------------------------------


@login_required
@require_GET
def invitations(request):
    if not permissions.can_list_survey_invitations(request.access):
        raise Http404
    status = request.GET.get("status", "open")
    flagged = request.GET.get("flagged") == "1"
    rows = selectors.invitations_for_user(
        user=request.user,
        status=status,
        kind=request.GET.get("kind", ""),
        open_only=status == "open",
        flagged_only=flagged,
    )
    page = Paginator(rows, selectors.INVITATIONS_PER_PAGE).get_page(request.GET.get("page"))
    access = access_for(request.user)
    for invitation in page.object_list:
        invitation.may_call_back = invitation.status in (
            SurveyInvitation.Status.SENT,
            SurveyInvitation.Status.UNREACHABLE,
        ) and permissions.can_record_survey_call_back(access, invitation)
    return render(
        request,
        "loyalty/surveys/invitations.html",
        {
            "page": page,
            "status": status,
            "kind": request.GET.get("kind", ""),
            "flagged": flagged,
            "statuses": [("open", _("To call")), *SurveyInvitation.Status.choices, ("all", _("All"))],
            "kinds": SurveyKind.choices,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def call_back(request, invitation_id: int):
    try:
        invitation = selectors.invitation_for_call_back(user=request.user, invitation_id=invitation_id)
    except NotFound as error:
        raise Http404 from error
    language = translation.get_language()
    questions = list(invitation.version.questions.order_by("position"))
    answered = SurveyResponse.objects.filter(invitation=invitation).first()
    submitted, errors, message = {}, {}, ""
    if request.method == "POST" and answered is None:
        submitted = _answers_from(request, questions)
        response, error = service_call(
            services.response_submit,
            invitation=invitation,
            answers=submitted,
            channel=SurveyResponse.Channel.PHONE,
            by=request.user,
        )
        if error is None:
            return redirect(f"{reverse('loyalty:surveys:invitations')}?status=answered")
        if isinstance(error, SurveyAnswersInvalid):
            errors = error.extra.get("errors", {})
        message = str(error.message)
        if isinstance(error, SurveyAlreadyAnswered):
            answered = SurveyResponse.objects.filter(invitation=invitation).first()
    return render(
        request,
        "loyalty/surveys/call_back.html",
        {
            "invitation": invitation,
            "answered": answered,
            "rows": _question_rows(questions, language, submitted, errors),
            "message": message,
            "phone": invitation.customer.contact_points.filter(kind="phone", is_primary=True).first(),
        },
        status=400 if message and not answered else 200,
    )


# --- Statistics ------------------------------------------------------------------------------------------


def _statistics(request):
    if not permissions.can_see_survey_statistics(request.access):
        raise Http404
    form = StatisticsFilterForm(request.GET, user=request.user)
    refused = None
    if not form.is_valid():
        refused, form = form, StatisticsFilterForm({}, user=request.user)
        form.is_valid()
    # The page shows the period it used, the defaults included.
    shown = dict(form.data.items()) | {key: str(form.cleaned_data[key]) for key in ("date_from", "date_to")}
    form = StatisticsFilterForm(shown, user=request.user)
    form.is_valid()
    try:
        statistics = selectors.survey_statistics(
            user=request.user, filters=form.filters(), language=translation.get_language()
        )
    except NotFound as error:
        raise Http404 from error
    return form, refused, statistics


def _number(value, digits: int = 1):
    return None if value is None else round(value, digits)


def _breakdown_table(statistics):
    headers = [
        str(GROUP_LABELS[statistics.filters.group_by]),
        _("Invitations"),
        _("Delivered"),
        _("Responses"),
        _("Response rate %"),
        _("NPS"),
        _("NPS answers"),
        _("Satisfaction index (0–100)"),
        _("Low scores"),
    ]
    rows = [
        [
            row.label,
            row.figures.invited,
            row.figures.delivered,
            row.figures.responses,
            _number(row.figures.response_rate),
            _number(row.figures.nps),
            row.figures.nps_answers,
            _number(row.figures.index),
            row.figures.low_responses,
        ]
        for row in [*statistics.groups]
    ]
    totals = statistics.totals
    rows.append(
        [
            _("All"),
            totals.invited,
            totals.delivered,
            totals.responses,
            _number(totals.response_rate),
            _number(totals.nps),
            totals.nps_answers,
            _number(totals.index),
            totals.low_responses,
        ]
    )
    return headers, rows


def _question_table(statistics, language: str):
    headers = [_("Questionnaire"), _("Question"), _("Answers"), _("Mean"), _("Distribution")]
    rows = []
    for row in statistics.questions:
        questionnaire = row.question.version.questionnaire
        rows.append(
            [
                f"{questionnaire.name_zh if language.startswith('zh') else questionnaire.name_en} v{row.question.version.number}",
                row.question.text(language),
                row.answers,
                _number(row.mean, 2),
                "; ".join(f"{label}: {count}" for label, count in row.distribution),
            ]
        )
    return headers, rows


@login_required
@require_GET
def statistics(request):
    form, refused, figures = _statistics(request)
    language = translation.get_language()
    chart = {
        "nps": {"labels": [str(n) for n in range(11)], "values": figures.nps_distribution},
        "groups": {
            "labels": [row.label for row in figures.groups][:20],
            "nps": [_number(row.figures.nps) for row in figures.groups][:20],
            "index": [_number(row.figures.index) for row in figures.groups][:20],
        },
        "trend": {
            "labels": [row.label for row in figures.trend],
            "rate": [_number(row.figures.response_rate) for row in figures.trend],
            "nps": [_number(row.figures.nps) for row in figures.trend],
        },
        "series": {"nps": _("NPS"), "index": _("Satisfaction index"), "rate": _("Response rate %"), "answers": _("Answers")},
    }
    return render(
        request,
        "loyalty/surveys/statistics.html",
        {
            "form": form,
            "refused_form": refused,
            "s": figures,
            "group_label": GROUP_LABELS[figures.filters.group_by],
            "chart_data": chart,
            "export_query": request.GET.urlencode(),
            "language": language,
        },
    )


@login_required
@require_GET
def statistics_export(request):
    file_format = request.GET.get("format", "csv")
    if file_format not in SPREADSHEET_TYPES:
        return refuse_spreadsheet_format()
    _form, refused, figures = _statistics(request)
    if refused is not None:
        return HttpResponseBadRequest(_("The filters are not valid."))
    language = translation.get_language()
    headers, rows = _breakdown_table(figures)
    question_headers, question_rows = _question_table(figures, language)
    # One sheet: the breakdown, a blank row, then the questions.
    rows = [*rows, [], [str(h) for h in question_headers], *question_rows]
    return spreadsheet_response(file_format, headers, rows, name="surveys")


# --- The questionnaire builder (OEM admin) ------------------------------------------------------------------


def _require_builder(request) -> None:
    if not permissions.can_build_questionnaires(request.access):
        raise Http404


@login_required
@require_GET
def questionnaires(request):
    _require_builder(request)
    rows = list(selectors.questionnaires_for_user(user=request.user))
    return render(request, "loyalty/surveys/questionnaires.html", {"questionnaires": rows})


@login_required
@require_http_methods(["GET", "POST"])
def questionnaire_new(request):
    _require_builder(request)
    form = QuestionnaireForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        questionnaire, error = service_call(builder.questionnaire_create, form=form, by=request.user, **form.cleaned_data)
        if error is None:
            return redirect("loyalty:surveys:version", version_id=questionnaire.versions.get().id)
    return render(request, "loyalty/surveys/questionnaire_new.html", {"form": form}, status=400 if form.errors else 200)


VERSION_ACTIONS = {"add", "publish", "draft", "activate"}


@login_required
@require_http_methods(["GET", "POST"])
def version(request, version_id: int):
    try:
        version = selectors.version_for_user(user=request.user, version_id=version_id)
    except NotFound as error:
        raise Http404 from error
    form = QuestionForm()
    action = request.POST.get("action", "")
    refusal = ""
    if request.method == "POST":
        if action not in VERSION_ACTIONS:
            return HttpResponseBadRequest(_("Unknown action."))
        if action == "add":
            form = QuestionForm(request.POST)
            if form.is_valid():
                _question, error = service_call(
                    builder.question_add, form=form, by=request.user, version=version, **form.cleaned_data
                )
                if error is None:
                    return redirect("loyalty:surveys:version", version_id=version.id)
        else:
            if action == "activate":
                result, error = service_call(
                    builder.questionnaire_activate, by=request.user, questionnaire=version.questionnaire
                )
            else:
                service = builder.version_publish if action == "publish" else builder.version_draft_from
                result, error = service_call(service, by=request.user, version=version)
            if error is None:
                return redirect("loyalty:surveys:version", version_id=result.id if action == "draft" else version.id)
            refusal = str(error.message)
    return render(
        request,
        "loyalty/surveys/version.html",
        {
            "version": version,
            "questions": list(version.questions.order_by("position")),
            "form": form,
            "refusal": refusal,
            "versions": version.questionnaire.versions.order_by("-number"),
            "language": translation.get_language(),
        },
        status=400 if form.errors or refusal else 200,
    )


@login_required
@require_POST
def question_remove(request, question_id: int):
    try:
        question = selectors.question_for_user(user=request.user, question_id=question_id)
    except NotFound as error:
        raise Http404 from error
    _result, error = service_call(builder.question_remove, by=request.user, question=question)
    if error is not None:
        return HttpResponse(str(error.message), status=error.status)
    return redirect("loyalty:surveys:version", version_id=question.version_id)

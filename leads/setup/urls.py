from django.urls import path

from leads.setup import views

app_name = "leads_setup"
urlpatterns = [
    path("questionnaires/", views.questionnaires, name="questionnaires"),
    path("questionnaires/new/", views.questionnaire_edit, name="questionnaire_edit"),
    path(
        "questionnaires/<int:questionnaire_id>/activate/",
        views.questionnaire_activate,
        name="questionnaire_activate",
    ),
    path("cadence/", views.cadence, name="cadence"),
]

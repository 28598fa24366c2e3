from django.urls import path

from dealers.views import audits, findings, mystery, network, scorecards

app_name = "dealers"
urlpatterns = [
    path("scorecards/", scorecards.scorecard_list, name="scorecard_list"),
    path("scorecards/export/", scorecards.scorecard_export, name="scorecard_export"),
    path("scorecards/<int:scorecard_id>/", scorecards.scorecard_detail, name="scorecard_detail"),
    path("scorecards/<int:scorecard_id>/publish/", scorecards.scorecard_publish, name="scorecard_publish"),
    path("scorecards/dealer/<int:dealer_id>/", scorecards.scorecard_history, name="scorecard_history"),
    path("scorecards/templates/", scorecards.template_list, name="template_list"),
    path("scorecards/templates/new/", scorecards.template_edit, name="template_new"),
    path("scorecards/templates/<int:scorecard_template_id>/", scorecards.template_edit, name="template_edit"),
    path(
        "scorecards/templates/<int:scorecard_template_id>/publish/",
        scorecards.template_publish,
        name="template_publish",
    ),
    path("audits/", audits.audit_list, name="audit_list"),
    path("audits/start/", audits.audit_start, name="audit_start"),
    path("audits/<int:audit_id>/", audits.audit_detail, name="audit_detail"),
    path("audits/<int:audit_id>/record/", audits.audit_record, name="audit_record"),
    path("audits/<int:audit_id>/complete/", audits.audit_complete, name="audit_complete"),
    path("audits/checklists/", audits.checklist_list, name="checklist_list"),
    path("audits/checklists/new/", audits.checklist_edit, name="checklist_new"),
    path("audits/checklists/<int:checklist_id>/", audits.checklist_edit, name="checklist_edit"),
    path("audits/checklists/<int:checklist_id>/publish/", audits.checklist_publish, name="checklist_publish"),
    path("findings/", findings.finding_list, name="finding_list"),
    path("findings/new/", findings.finding_new, name="finding_new"),
    path("findings/<int:finding_id>/", findings.finding_detail, name="finding_detail"),
    path("findings/<int:finding_id>/answer/", findings.finding_answer, name="finding_answer"),
    path("findings/<int:finding_id>/verify/", findings.finding_verify, name="finding_verify"),
    path("evidence/<int:evidence_id>/", findings.evidence_download, name="evidence"),
    path("mystery-shops/", mystery.shop_list, name="shop_list"),
    path("mystery-shops/new/", mystery.shop_new, name="shop_new"),
    path("mystery-shops/<int:shop_id>/", mystery.shop_detail, name="shop_detail"),
    path("mystery-shops/<int:shop_id>/reconcile/", mystery.shop_reconcile, name="shop_reconcile"),
    path("mystery-shops/<int:shop_id>/finding/", mystery.shop_finding, name="shop_finding"),
    path("collisions/", network.collision_list, name="collision_list"),
    path("collisions/decide/", network.collision_decide_view, name="collision_decide"),
    path("value-ledger/", network.value_ledger_page, name="value_ledger"),
]

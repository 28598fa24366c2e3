"""URL patterns of this part of the messaging pages (included by crm/messaging/urls.py, namespace "messaging"):
the message library (templates with their preview, segments with their live count, care messages)."""

from django.urls import path

from crm.messaging.views import library, library_care, library_segments

urlpatterns: list = [
    path("messaging/templates/", library.templates, name="templates"),
    path("messaging/templates/new/", library.template_new, name="template_new"),
    path("messaging/templates/<int:template_id>/", library.template_edit, name="template_edit"),
    path("messaging/templates/preview/", library.template_preview, name="template_preview"),
    path(
        "messaging/templates/preview/customers/",
        library.template_preview_customers,
        name="template_preview_customers",
    ),
    path("messaging/segments/", library_segments.segments, name="segments"),
    path("messaging/segments/new/", library_segments.segment_new, name="segment_new"),
    path("messaging/segments/<int:segment_id>/", library_segments.segment_edit, name="segment_edit"),
    path("messaging/segments/count/", library_segments.segment_count, name="segment_count"),
    path("messaging/care/", library_care.care, name="care"),
    path("messaging/care/new/", library_care.care_new, name="care_new"),
    path("messaging/care/<int:program_id>/", library_care.care_edit, name="care_edit"),
]

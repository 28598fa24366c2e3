from django.urls import path

from crm.customers import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_search, name="search"),
    path("new/", views.customer_create, name="create"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/<int:candidate_id>/merge/", views.merge, name="merge"),
    path("duplicates/<int:candidate_id>/dismiss/", views.duplicate_dismiss, name="duplicate_dismiss"),
    path("<int:customer_id>/", views.customer_detail, name="detail"),
    path("<int:customer_id>/edit/", views.customer_edit, name="edit"),
    path("<int:customer_id>/history/", views.customer_history, name="history"),
    path("<int:customer_id>/timeline/", views.customer_timeline, name="timeline"),
    path("<int:customer_id>/notes/", views.note_add, name="note_add"),
    path("<int:customer_id>/contact-points/new/", views.contact_point_add, name="contact_point_add"),
    path("<int:customer_id>/consents/new/", views.consent_add, name="consent_add"),
    path("<int:customer_id>/vehicles/new/", views.vehicle_add, name="vehicle_add"),
]

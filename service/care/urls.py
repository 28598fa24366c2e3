from django.urls import path

from service.care import views

app_name = "service_care"
urlpatterns = [
    path("complaints/", views.complaints, name="complaints"),
    path("complaints/new/", views.complaint_new, name="complaint_new"),
    path("complaints/<int:complaint_id>/", views.complaint_detail, name="complaint_detail"),
    path("complaints/<int:complaint_id>/note/", views.complaint_note, name="complaint_note"),
    path("complaints/<int:complaint_id>/resolve/", views.complaint_resolve, name="complaint_resolve"),
    path("complaints/<int:complaint_id>/close/", views.complaint_close, name="complaint_close"),
    path("complaints/<int:complaint_id>/reopen/", views.complaint_reopen, name="complaint_reopen"),
    path("complaints/<int:complaint_id>/assign/", views.complaint_assign, name="complaint_assign"),
    path("call-backs/", views.call_backs, name="call_backs"),
    path("call-backs/<int:call_back_id>/record/", views.call_back_record, name="call_back_record"),
]

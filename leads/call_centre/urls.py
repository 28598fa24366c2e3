app_name = "leads_call_centre"
urlpatterns = []

app_name = "leads_setup"
urlpatterns = []


app_name = "workspaces"

urlpatterns: list = []

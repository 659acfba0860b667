from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("invoices/", views.invoice_list, name="invoices"),
    path("invoices/<public_id:public_id>/", views.invoice_detail, name="invoice-detail"),
]

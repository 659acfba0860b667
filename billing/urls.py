from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("invoices/", views.invoice_list, name="invoices"),
    path("invoices/csv/", views.invoice_csv, name="invoices-csv"),
    path("invoices/<public_id:public_id>/", views.invoice_detail, name="invoice-detail"),
    path("invoices/<public_id:public_id>/pdf/", views.invoice_pdf, name="invoice-pdf"),
    path("credit-notes/<public_id:public_id>/", views.credit_note_detail, name="credit-note-detail"),
    path("credit-notes/<public_id:public_id>/pdf/", views.credit_note_pdf, name="credit-note-pdf"),
]

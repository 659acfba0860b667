from django.urls import path

from . import views

app_name = "subscriptions"

urlpatterns = [
    path("my-product/", views.my_product, name="my-product"),
]

from django.urls import path

from . import views

urlpatterns = [
    path("api/items", views.list_items),
    path("api/items/<int:item_id>", views.update_item),
    path("api/boom", views.boom),
    path("health", views.health),
]

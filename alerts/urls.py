from django.urls import path

from alerts import views

urlpatterns = [
    path("saved-searches/", views.saved_searches, name="saved_searches"),
    path("saved-searches/save", views.saved_search_save, name="saved_search_save"),
    path("saved-searches/<int:pk>/edit", views.saved_search_edit, name="saved_search_edit"),
    path("saved-searches/<int:pk>/delete", views.saved_search_remove, name="saved_search_remove"),
    path("alerts/", views.notifications, name="notifications"),
]

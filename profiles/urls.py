from django.urls import path

from profiles import views

urlpatterns = [
    path("", views.home, name="home"),
    path("profiles/add/", views.profile_add, name="profile_add"),
    path("profiles/list/", views.profile_list, name="profile_list"),
]

from django.urls import path

from jobs import views

urlpatterns = [
    path("", views.home, name="home"),
    path("profiles/add/", views.profile_add, name="profile_add"),
    path("profiles/list/", views.profile_list, name="profile_list"),
    # "@name": no username can clash with the paths above.
    path("@<str:username>/", views.profile_detail, name="profile_detail"),
    path("@<str:username>/refresh/", views.profile_refresh, name="profile_refresh"),
    path("@<str:username>/untrack/", views.profile_untrack, name="profile_untrack"),
]

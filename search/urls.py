from django.urls import path

from search import views

urlpatterns = [
    path("search/", views.search, name="search"),
    path("search/by-image/", views.search_by_image, name="search_by_image"),
    path("photos/<int:pk>/", views.photo_detail, name="photo_detail"),
    path("photos/<int:pk>/similar/", views.photo_similar, name="photo_similar"),
    path("photos/<int:pk>/thumbnail.webp", views.photo_thumbnail, name="photo_thumbnail"),
    path("photos/<int:pk>/image", views.photo_image, name="photo_image"),
]

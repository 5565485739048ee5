from django.contrib import admin

from alerts.models import Notification, SavedSearch


@admin.register(SavedSearch)
class SavedSearchAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "query", "email_digest", "created_at"]
    list_filter = ["email_digest"]
    search_fields = ["name", "query", "user__username"]
    raw_id_fields = ["user"]
    filter_horizontal = ["profiles"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["saved_search", "photo", "created_at", "read_at", "emailed_at"]
    list_select_related = ["saved_search", "photo__post"]
    raw_id_fields = ["saved_search", "photo"]

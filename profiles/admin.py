from django.contrib import admin

from profiles.models import InstagramProfile, Job, Photo, Post, Tracking


class TrackingInline(admin.TabularInline):
    model = Tracking
    extra = 0
    raw_id_fields = ["user"]


@admin.register(InstagramProfile)
class InstagramProfileAdmin(admin.ModelAdmin):
    list_display = ["username", "full_name", "status", "is_private", "post_count", "last_synced_at"]
    list_filter = ["status", "is_private"]
    search_fields = ["username", "full_name"]
    readonly_fields = ["instagram_id", "last_synced_at", "sync_cursor", "created_at"]
    inlines = [TrackingInline]


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["shortcode", "profile", "kind", "taken_at", "likes", "comments"]
    list_filter = ["kind"]
    list_select_related = ["profile"]
    search_fields = ["shortcode", "caption", "profile__username"]
    date_hierarchy = "taken_at"
    raw_id_fields = ["profile"]


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = ["__str__", "width", "height", "image_embedding_model", "text_embedding_model", "indexed_at"]
    list_select_related = ["post"]
    search_fields = ["post__shortcode", "description", "alt_text"]
    raw_id_fields = ["post"]
    # Vectors are written by the indexer only; editing hundreds of numbers by hand helps nobody.
    exclude = ["image_embedding", "text_embedding"]
    readonly_fields = [
        "width", "height", "sha256", "perceptual_hash", "description_model",
        "image_embedding_model", "text_embedding_model", "indexed_at", "index_error",
    ]  # fmt: skip


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "status", "profile", "progress_done", "progress_total", "created_at", "finished_at"]
    list_filter = ["kind", "status", "created_at"]
    list_select_related = ["profile"]
    search_fields = ["profile__username", "message", "celery_task_id"]
    date_hierarchy = "created_at"
    raw_id_fields = ["profile", "requested_by"]
    readonly_fields = ["celery_task_id", "created_at", "started_at", "finished_at", "updated_at", "error"]

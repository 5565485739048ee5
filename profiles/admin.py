import zipfile

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path

from profiles import instagram, services
from profiles.models import InstagramProfile, InstagramSession, Job, Photo, Post, Tracking


class TrackingInline(admin.TabularInline):
    model = Tracking
    extra = 0
    raw_id_fields = ["user"]


class ImportZipForm(forms.Form):
    archive = forms.FileField(label="Zip of an instaloader folder", help_text="The folder `instaloader PROFILE` wrote.")
    profile = forms.CharField(
        label="Profile", required=False, help_text="Its username; leave empty to take it from the folder."
    )

    def clean_archive(self):
        archive = self.cleaned_data["archive"]
        if not zipfile.is_zipfile(archive):
            raise forms.ValidationError("This file is not a zip.")
        archive.seek(0)
        return archive

    def clean_profile(self):
        text = self.cleaned_data["profile"]
        return services.username_parse(text=text) if text else ""


@admin.register(InstagramProfile)
class InstagramProfileAdmin(admin.ModelAdmin):
    list_display = ["username", "full_name", "status", "is_private", "post_count", "last_synced_at"]
    list_filter = ["status", "is_private"]
    search_fields = ["username", "full_name"]
    readonly_fields = ["instagram_id", "last_synced_at", "sync_cursor", "created_at"]
    inlines = [TrackingInline]
    actions = ["sync_now"]
    change_list_template = "admin/profiles/instagramprofile/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_zip_view)
        return [path("import-zip/", view, name="profiles_import_zip"), *super().get_urls()]

    def import_zip_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportZipForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            username = form.cleaned_data["profile"]
            profile = InstagramProfile.objects.get_or_create(username=username)[0] if username else None
            job = services.zip_import_queue(
                upload=form.cleaned_data["archive"], profile=profile, requested_by=request.user
            )
            self.message_user(request, f"The import is queued as job #{job.pk}.", messages.SUCCESS)
            return redirect("admin:profiles_job_change", job.pk)
        context = {**self.admin_site.each_context(request), "form": form, "title": "Import an instaloader zip"}
        return render(request, "admin/profiles/import_zip.html", context)

    @admin.action(description="Sync the selected profiles from Instagram now")
    def sync_now(self, request, queryset):
        jobs = [job for profile in queryset if (job := services.profile_sync_queue(profile=profile))]
        self.message_user(request, f"{len(jobs)} sync(s) queued.", messages.SUCCESS)


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


class InstagramSessionForm(forms.ModelForm):
    """Cookies or a password go in; only the cookies Instagram hands back are kept, and never shown."""

    cookies_text = forms.CharField(
        label="Cookies",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off"}),
        help_text="Exported from a browser signed in to Instagram: a JSON object or list, or a Cookie header.",
    )
    password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Or sign in with the account's password (it is not kept).",
    )
    two_factor_code = forms.CharField(label="Two-factor code", required=False, max_length=12)

    class Meta:
        model = InstagramSession
        fields = ["username", "is_active"]

    def clean(self):
        data = super().clean()
        username, text, password = data.get("username"), data.get("cookies_text"), data.get("password")
        if not username:
            return data
        data["username"] = username.lower()
        if not (text or password or self.instance.pk):
            raise forms.ValidationError("Paste the account's cookies, or enter its password.")
        try:
            if text:
                self.instance.cookies = instagram.session_from_cookies(text)
            elif password:
                code = data.get("two_factor_code", "")
                self.instance.cookies = instagram.session_from_login(username, password, lambda: code)
        except instagram.InstagramError as exc:
            raise forms.ValidationError(str(exc)) from None
        return data


@admin.register(InstagramSession)
class InstagramSessionAdmin(admin.ModelAdmin):
    form = InstagramSessionForm
    list_display = ["username", "is_active", "updated_at"]
    list_filter = ["is_active"]
    readonly_fields = ["stored", "created_at", "updated_at"]
    fields = ["username", "is_active", "stored", "cookies_text", "password", "two_factor_code"]

    @admin.display(description="Session")
    def stored(self, obj):
        return "Stored (hidden). Paste cookies or enter a password to replace it." if obj.cookies else "None yet."

import zipfile

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.cache import patch_vary_headers

from profiles import instagram
from profiles.models import InstagramProfile, InstagramSession, Job, Photo, Post, PrivateProfileAccess, Tracking
from profiles.selectors import ProfileStatus, jobs_dashboard, profile_state, profile_states, profiles_with_status
from profiles.services import imports, jobs, sessions, sync, tracking


class TrackingInline(admin.TabularInline):
    model = Tracking
    extra = 0
    raw_id_fields = ["user"]


class PrivateProfileAccessInline(admin.TabularInline):
    """Who may track this profile while it is private (README, "Private profiles")."""

    model = PrivateProfileAccess
    extra = 0
    raw_id_fields = ["user"]
    fields = ["user", "granted_by", "created_at"]
    readonly_fields = ["granted_by", "created_at"]
    verbose_name_plural = "Allowed to see it while it is private"


class JobInline(admin.TabularInline):
    """A profile's sync history: every job kept, newest first, each a link to its page."""

    model = Job
    fk_name = "profile"
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["-created_at"]
    fields = ["kind", "status", "progress_done", "progress_total", "message", "created_at", "finished_at"]
    readonly_fields = fields
    verbose_name_plural = "Sync history"

    def has_add_permission(self, request, obj=None):
        return False  # jobs are made by syncs, imports and the actions, never by hand


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
        return tracking.username_parse(text=text) if text else ""


class StateFilter(admin.SimpleListFilter):
    """Profiles by state, derived from their jobs as everywhere else (profiles.selectors)."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return ProfileStatus.choices

    def queryset(self, request, queryset):
        if self.value() not in ProfileStatus.values:
            return queryset
        return queryset.filter(pk__in=profiles_with_status(status=self.value(), profiles=queryset))


@admin.register(InstagramProfile)
class InstagramProfileAdmin(admin.ModelAdmin):
    list_display = ["username", "full_name", "state", "is_private", "is_demo", "post_count", "last_synced_at"]
    list_filter = [StateFilter, "is_private", "is_demo"]
    search_fields = ["username", "full_name"]
    readonly_fields = ["state", "instagram_id", "is_demo", "last_synced_at", "sync_cursor", "created_at"]
    inlines = [TrackingInline, PrivateProfileAccessInline, JobInline]
    actions = ["sync_now", "reindex"]
    change_list_template = "admin/profiles/instagramprofile/change_list.html"

    def get_changelist_instance(self, request):
        # The page's profiles get their states in two queries, not two per row.
        changelist = super().get_changelist_instance(request)
        states = profile_states(profiles=changelist.result_list)
        for profile in changelist.result_list:
            profile.state = states[profile.pk]
        return changelist

    @admin.display(description="State")
    def state(self, profile):
        state = getattr(profile, "state", None) or profile_state(profile)
        return f"{state.label} · {state.detail}" if state.detail else state.label

    def save_formset(self, request, form, formset, change):
        if formset.model is PrivateProfileAccess:
            for inline in formset.forms:
                inline.instance.granted_by = inline.instance.granted_by or request.user
        super().save_formset(request, form, formset, change)

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
            job = imports.zip_import_queue(
                upload=form.cleaned_data["archive"], profile=profile, requested_by=request.user
            )
            self.message_user(request, f"The import is queued as job #{job.pk}.", messages.SUCCESS)
            return redirect("admin:profiles_job_change", job.pk)
        context = {**self.admin_site.each_context(request), "form": form, "title": "Import an instaloader zip"}
        return render(request, "admin/profiles/import_zip.html", context)

    @admin.action(description="Sync the selected profiles from Instagram now", permissions=["change"])
    def sync_now(self, request, queryset):
        queued = [job for profile in queryset if (job := sync.profile_sync_queue(profile=profile))]
        self.message_user(request, f"{len(queued)} sync(s) queued.", messages.SUCCESS)

    @admin.action(description="Re-index the photos of the selected profiles", permissions=["change"])
    def reindex(self, request, queryset):
        _reindex(self, request, queryset)


def _reindex(model_admin, request, profiles):
    """Queue an index job per profile for its photos the current models have not indexed (failed ones included)."""
    queued, notes = 0, []
    for profile in profiles:
        try:
            job = jobs.profile_reindex(profile=profile, requested_by=request.user)
        except jobs.JobRefused as refused:
            notes.append(str(refused))
            continue
        if job:
            queued += 1
        else:
            notes.append(
                f"Every photo of @{profile.username} is searchable by the current models already; "
                "any description still to do is queued."
            )
    model_admin.message_user(request, f"{queued} index job(s) queued.", messages.SUCCESS)
    for note in notes:
        model_admin.message_user(request, note, messages.WARNING)


@admin.register(PrivateProfileAccess)
class PrivateProfileAccessAdmin(admin.ModelAdmin):
    list_display = ["profile", "user", "granted_by", "created_at"]
    search_fields = ["profile__username", "user__username"]
    raw_id_fields = ["profile", "user"]
    readonly_fields = ["granted_by", "created_at"]

    def save_model(self, request, obj, form, change):
        obj.granted_by = obj.granted_by or request.user
        super().save_model(request, obj, form, change)


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
    list_display = ["id", "kind", "status", "profile", "progress", "message", "created_at", "finished_at", "retry_of"]
    list_filter = ["kind", "status", ("profile", admin.RelatedOnlyFieldListFilter), "created_at"]
    list_select_related = ["profile"]
    search_fields = ["profile__username", "message", "celery_task_id"]
    date_hierarchy = "created_at"
    raw_id_fields = ["profile", "requested_by"]
    readonly_fields = [
        "kind", "status", "progress_done", "progress_total", "message", "wait_until", "retry_of", "celery_task_id",
        "source_file", "created_at", "started_at", "finished_at", "updated_at", "heartbeat_at", "requeues", "error",
    ]  # fmt: skip
    actions = ["retry", "cancel", "reindex_profiles"]
    change_list_template = "admin/profiles/job/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view(self.dashboard_view)
        return [path("dashboard/", view, name="profiles_job_dashboard"), *super().get_urls()]

    def dashboard_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), **jobs_dashboard(), "title": "Jobs dashboard"}
        # The page polls itself for this fragment: counts and failures refresh without a reload.
        template = "admin/profiles/job/_dashboard.html" if request.htmx else "admin/profiles/job/dashboard.html"
        response = render(request, template, context)
        patch_vary_headers(response, ["HX-Request"])
        return response

    def has_add_permission(self, request):
        return False  # jobs are made by syncs, imports and the actions above, never by hand

    @admin.display(description="Progress")
    def progress(self, job):
        return f"{job.progress_done}/{job.progress_total}" if job.progress_total else job.progress_done or ""

    @admin.action(description="Retry the selected failed or cancelled jobs (as new jobs)", permissions=["change"])
    def retry(self, request, queryset):
        retried = []
        for job in queryset.order_by("pk"):
            try:
                retried.append(jobs.job_retry(job=job, requested_by=request.user))
            except jobs.JobRefused as refused:
                self.message_user(request, str(refused), messages.WARNING)
        if retried:
            numbers = ", ".join(f"#{job.pk}" for job in retried)
            self.message_user(request, f"{len(retried)} job(s) queued again as {numbers}.", messages.SUCCESS)

    @admin.action(description="Cancel the selected queued or running jobs", permissions=["change"])
    def cancel(self, request, queryset):
        cancelled = sum(jobs.job_cancel(job=job) for job in queryset)
        skipped = queryset.count() - cancelled
        text = f"{cancelled} job(s) cancelled; a running one stops at its next batch."
        self.message_user(request, text + (f" {skipped} had ended already." if skipped else ""), messages.SUCCESS)

    @admin.action(description="Re-index the photos of the selected jobs' profiles", permissions=["change"])
    def reindex_profiles(self, request, queryset):
        profiles = InstagramProfile.objects.filter(pk__in=queryset.values("profile")).order_by("username")
        _reindex(self, request, profiles)


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
                self.instance.cookies = sessions.cookies_from_text(text)
            elif password:
                code = data.get("two_factor_code", "")
                self.instance.cookies = instagram.cookies_from_login(username, password, lambda: code)
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

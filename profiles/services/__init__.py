"""What photosearch does with profiles, posts and photos, one module per concern.

Views, tasks, commands and the admin call these:
- tracking: who tracks which profile, and the syncs users ask for;
- sync: a profile's posts fetched from Instagram, resumable;
- ingest: a post and its images stored, the same way whatever brought them;
- imports: folders written by instaloader, and their zips uploaded in the admin;
- sessions: the signed-in Instagram sessions syncs use;
- jobs: what users and admins do with jobs (cancel, retry, re-index);
- demo: the demo profile.
"""

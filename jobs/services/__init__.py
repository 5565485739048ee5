"""What photosearch does with jobs, one module per concern:
- sync: a profile's posts fetched from Instagram as a job, and the syncs users and beat ask for;
- uploads: an instaloader zip uploaded in the admin, imported as a job;
- jobs: cancel one, retry one, and beat's sweep of the jobs whose worker died.
"""

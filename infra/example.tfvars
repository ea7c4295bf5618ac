# Copy to <your>.tfvars (ignored by git) or pass the same with -var on the command line.
project_id            = "my-practice-calendar-sync"
region                = "europe-west3"
firestore_location    = "europe-west3"
sync_interval_minutes = 5
sync_horizon_days     = 365

# Copy to <your>.tfvars (ignored by git) or pass the same with -var on the command line.
project_id            = "my-practice-calendar-sync"
region                = "europe-west3"
firestore_location    = "europe-west3"
sync_interval_minutes = 1
sync_horizon_days     = 365
sync_poll_minutes     = 5
sync_debounce_seconds = 2

# The project's Calendar API quota (Google's defaults), from which the queue's rate limits follow.
calendar_quota_per_minute      = 10000
calendar_quota_per_user_minute = 600
sync_quota_share               = 0.5
sync_requests_per_task         = 4

# Monitoring and backups (both optional; see docs/operations.md, Alerts and Backups and restore).
alert_email                             = "it@praxis-beispiel.de"
alert_notification_channels             = []
alerts_enabled                          = true
firestore_backup_retention_days         = 7
firestore_weekly_backup_retention_weeks = 0

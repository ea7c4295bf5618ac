variable "project_id" {
  type        = string
  description = "The Google Cloud project the bridge is deployed to (its own project: nothing else should live there)."
}

variable "region" {
  type        = string
  default     = "europe-west3"
  description = "Region of the functions and the Scheduler job. The functions' base URL is https://<region>-<project_id>.cloudfunctions.net."
}

variable "firestore_location" {
  type        = string
  default     = "europe-west3"
  description = "Location of the Firestore database (cannot be changed after creation)."
}

variable "sync_interval_minutes" {
  type        = number
  default     = 1
  description = "Cloud Scheduler calls `sync` every this many minutes (once `sync` is deployed). With the queue (sync_link deployed) `sync` dispatches the links whose backstop minute is the current one, so this must be 1; how often each link is checked is sync_poll_minutes. Without the queue, `sync` syncs every link itself at this interval."

  validation {
    # A cron step must divide the hour evenly, or runs bunch up at the top of the hour.
    condition     = var.sync_interval_minutes >= 1 && var.sync_interval_minutes <= 30 && 60 % var.sync_interval_minutes == 0
    error_message = "sync_interval_minutes must divide 60 and be between 1 and 30 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30)."
  }
}

variable "sync_poll_minutes" {
  type        = number
  default     = 5
  description = "SYNC_POLL_MINUTES, the backstop: every link is checked at least this often, also when nothing told the bridge of a change (a phone edit in Google). Planner writes are synced sooner, within sync_debounce_seconds."

  validation {
    # The same rule as functions/config.py TaskSettings: links are spread over the minutes of the hour.
    condition     = var.sync_poll_minutes >= 1 && var.sync_poll_minutes <= 60 && 60 % var.sync_poll_minutes == 0
    error_message = "sync_poll_minutes must divide 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)."
  }
}

variable "push_enabled" {
  type        = bool
  default     = true
  description = "Google push notifications: each linked calendar gets a channel to the google_push function (GOOGLE_PUSH_URL), so phone edits arrive within seconds and a link with a healthy channel is polled only every sync_push_poll_minutes. false: no channels (those open are stopped at each link's next run), every link polls every sync_poll_minutes."
}

variable "sync_push_poll_minutes" {
  type        = number
  default     = 60
  description = "SYNC_PUSH_POLL_MINUTES: the backstop of a link whose push channel is healthy (confirmed, not expiring); a link without one polls every sync_poll_minutes. Must divide 60."

  validation {
    condition     = var.sync_push_poll_minutes >= 1 && var.sync_push_poll_minutes <= 60 && 60 % var.sync_push_poll_minutes == 0
    error_message = "sync_push_poll_minutes must divide 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)."
  }
}

variable "sync_debounce_seconds" {
  type        = number
  default     = 2
  description = "SYNC_DEBOUNCE_SECONDS: planner writes to one resource within this many seconds become one sync task, run at the window's end."

  validation {
    condition     = var.sync_debounce_seconds >= 1 && var.sync_debounce_seconds <= 60
    error_message = "sync_debounce_seconds must be between 1 and 60."
  }
}

# The quota governor's inputs (infra/tasks.tf derives the queue's rate limits from them). The
# defaults are Google's documented Calendar API quota; use the project's own figures if Google
# granted more (Console -> APIs & Services -> Google Calendar API -> Quotas).
variable "calendar_quota_per_minute" {
  type        = number
  default     = 10000
  description = "The project's Google Calendar API quota: requests per minute, all users together."

  validation {
    condition     = var.calendar_quota_per_minute >= 60
    error_message = "calendar_quota_per_minute must be at least 60."
  }
}

variable "calendar_quota_per_user_minute" {
  type        = number
  default     = 600
  description = "The project's Google Calendar API quota per user (one Google account): requests per minute."

  validation {
    condition     = var.calendar_quota_per_user_minute >= 1
    error_message = "calendar_quota_per_user_minute must be at least 1."
  }
}

variable "sync_quota_share" {
  type        = number
  default     = 0.5
  description = "The share of the project's Calendar quota that queued syncs may use; the rest is left for the planner's interactive calls (calendar lists, previews, consent) and the engine's own retries."

  validation {
    condition     = var.sync_quota_share > 0 && var.sync_quota_share <= 1
    error_message = "sync_quota_share must be more than 0 and at most 1."
  }
}

variable "sync_requests_per_task" {
  type        = number
  default     = 4
  description = "Calendar requests one link task makes on average: an idle check is 1 (events.list), a planner change adds its writes."

  validation {
    condition     = var.sync_requests_per_task >= 1
    error_message = "sync_requests_per_task must be at least 1."
  }
}

variable "sync_horizon_days" {
  type        = number
  default     = 365
  description = "How many days ahead appointments are synced (SYNC_HORIZON_DAYS)."

  validation {
    # The same bounds as functions/config.py checks at start-up.
    condition     = var.sync_horizon_days >= 1 && var.sync_horizon_days <= 3650
    error_message = "sync_horizon_days must be between 1 and 3650."
  }
}

variable "rollout" {
  type        = string
  default     = "1"
  description = "Change (e.g. to a date) to roll every function to a fresh build and revision. Instances cache secret values: after adding a secret version, roll so that all instances read it (docs/operations.md)."
}

# Monitoring (monitoring.tf): where alerts go. Both are optional; without them the alerts still
# open incidents in the Console (Monitoring -> Alerting), but nobody is told.
variable "alert_email" {
  type        = string
  default     = ""
  description = "An e-mail address that receives the alerts (an e-mail notification channel is created for it). Empty: none."

  validation {
    condition     = var.alert_email == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alert_email))
    error_message = "alert_email must be empty or an e-mail address."
  }
}

variable "alert_notification_channels" {
  type        = list(string)
  default     = []
  description = "Existing Cloud Monitoring notification channels that receive the alerts as well (projects/<project>/notificationChannels/<id>), e.g. one made in the Console for SMS or a chat tool."

  validation {
    condition     = alltrue([for c in var.alert_notification_channels : can(regex("^projects/[^/]+/notificationChannels/[^/]+$", c))])
    error_message = "alert_notification_channels must be channel names of the form projects/<project>/notificationChannels/<id>."
  }
}

variable "alerts_enabled" {
  type        = bool
  default     = true
  description = "Create the alert policies (Cloud Monitoring bills each condition per month; eight conditions). false keeps the log-based metrics and the dashboard."
}

# Backups (firestore.tf): on top of point-in-time recovery (7 days, always on).
variable "firestore_backup_retention_days" {
  type        = number
  default     = 7
  description = "Days each daily Firestore backup is kept (Firestore allows at most 7 for daily backups). Backups hold appointment texts and sealed refresh tokens: keep them no longer than needed."

  validation {
    condition     = var.firestore_backup_retention_days >= 1 && var.firestore_backup_retention_days <= 7 && floor(var.firestore_backup_retention_days) == var.firestore_backup_retention_days
    error_message = "firestore_backup_retention_days must be a whole number from 1 to 7."
  }
}

variable "firestore_weekly_backup_retention_weeks" {
  type        = number
  default     = 0
  description = "Weeks each weekly Firestore backup (Sundays) is kept; 0: no weekly backups (Firestore allows at most 14 weeks)."

  validation {
    condition     = var.firestore_weekly_backup_retention_weeks >= 0 && var.firestore_weekly_backup_retention_weeks <= 14 && floor(var.firestore_weekly_backup_retention_weeks) == var.firestore_weekly_backup_retention_weeks
    error_message = "firestore_weekly_backup_retention_weeks must be a whole number from 0 to 14."
  }
}

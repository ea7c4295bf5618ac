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
  default     = 5
  description = "Cloud Scheduler calls `sync` every this many minutes (once `sync` is deployed)."

  validation {
    # A cron step must divide the hour evenly, or runs bunch up at the top of the hour.
    condition     = var.sync_interval_minutes >= 1 && var.sync_interval_minutes <= 30 && 60 % var.sync_interval_minutes == 0
    error_message = "sync_interval_minutes must divide 60 and be between 1 and 30 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30)."
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

# Cloud Scheduler calls `sync` every var.sync_interval_minutes with an OIDC token of its own
# service account, the only principal allowed to invoke the private `sync` function.
# All of it exists only while `sync` is in local.functions (removing that line removes it).
#
# With the queue (tasks.tf), that call is the dispatcher: it queues a task for each link whose
# backstop minute (functions/sync/schedule.py) is the current minute, so it must come every
# minute; without the queue, `sync` syncs every link itself at this interval.
#
# The job calls sync at its cloudfunctions.net URL, PUBLIC_BASE_URL/sync, with that URL as the
# token's audience: both are known before anything is deployed, so the code can check the token
# without further configuration (audience = PUBLIC_BASE_URL + "/sync", email =
# sync-scheduler@<GOOGLE_CLOUD_PROJECT>.iam.gserviceaccount.com).

locals {
  schedule_sync = contains(keys(local.functions), "sync")
}

resource "google_service_account" "scheduler" {
  count = local.schedule_sync ? 1 : 0

  account_id   = "sync-scheduler"
  display_name = "Cloud Scheduler: sync"
  description  = "Identity in the OIDC token with which Cloud Scheduler calls the sync function."

  depends_on = [google_project_service.apis]
}

resource "google_cloud_run_service_iam_member" "scheduler_invokes_sync" {
  count = local.schedule_sync ? 1 : 0

  location = var.region
  service  = google_cloudfunctions2_function.fn["sync"].service_config[0].service
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.scheduler[0].email}"
}

resource "google_cloud_scheduler_job" "sync" {
  count = local.schedule_sync ? 1 : 0

  name             = "sync"
  description      = "Two-way sync: queue the links due this minute, or sync every link without the queue (POST /sync)."
  region           = var.region
  schedule         = "*/${var.sync_interval_minutes} * * * *"
  time_zone        = "Etc/UTC"
  attempt_deadline = "${google_cloudfunctions2_function.fn["sync"].service_config[0].timeout_seconds}s"

  # A missed run is not retried: the next one starts from the same stored state anyway (a
  # missed dispatch minute: its links are checked one poll interval later).
  retry_config {
    retry_count = 0
  }

  http_target {
    http_method = "POST"
    uri         = "${local.public_base_url}/sync"
    headers     = { "Content-Type" = "application/json" }
    body        = base64encode("{}")

    oidc_token {
      service_account_email = google_service_account.scheduler[0].email
      audience              = "${local.public_base_url}/sync"
    }
  }

  lifecycle {
    precondition {
      condition     = !local.sync_tasks || var.sync_interval_minutes == 1
      error_message = "With the sync-links queue, sync dispatches the links of the current minute only: sync_interval_minutes must be 1 (set how often each link is checked with sync_poll_minutes)."
    }
  }

  depends_on = [google_cloud_run_service_iam_member.scheduler_invokes_sync, google_project_service.apis]
}

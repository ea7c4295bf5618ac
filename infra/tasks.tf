# Change-driven sync on Cloud Tasks: the queue `sync-links`, one task per link sync, each an HTTP
# POST to the private worker `sync_link` with an OIDC token of the tasks service account
# `sync-tasks`, the only principal allowed to invoke the worker. All of it exists only while
# `sync_link` is in local.functions (removing that line removes it, and `sync` syncs every link
# itself again, as before the queue).
#
# Who queues: `sync` (the Scheduler's call every minute: the links whose backstop minute it is),
# `planner` (a changed appointment's link, debounced; every link of a branch switched off, so
# its task stops the push channel), `links` (a new link's first sync at once) and `google_push`
# (a Google notification's link, debounced) - local.task_enqueuers, which
# tests/infra checks against the code (the functions whose code creates tasks). Each of them may
# create tasks on this one queue (roles/cloudtasks.enqueuer) and act as sync-tasks
# (roles/iam.serviceAccountUser on that one account): a task that carries an OIDC token of a
# service account may only be created by a principal allowed to act as it.
#
# The worker checks the token itself as well (functions/auth.py authenticate_task): audience
# PUBLIC_BASE_URL/sync_link, email sync-tasks@<GOOGLE_CLOUD_PROJECT>.iam.gserviceaccount.com
# (SYNC_TASKS_INVOKER_EMAIL's default, so nothing needs configuring).

locals {
  sync_tasks = contains(keys(local.functions), "sync_link")

  task_enqueuers  = ["google_push", "links", "planner", "sync"]
  queue_enqueuers = { for name in local.task_enqueuers : name => name if local.sync_tasks && contains(keys(local.functions), name) }

  # SYNC_QUEUE: the queue's resource name, known before it exists (no dependency cycle between
  # the functions and the queue; the functions depend on the queue explicitly).
  sync_queue_name = "sync-links"
  sync_queue_id   = "projects/${var.project_id}/locations/${var.region}/queues/${local.sync_queue_name}"

  # The quota governor: the queue dispatches no faster than the Calendar quota allows, whatever
  # the backlog (a burst of planner writes, the first minutes after an outage or a pause).
  #
  #   max_dispatches_per_second = share x project quota per second / Calendar requests per task
  #                             = 0.5 x 10,000/60 / 4 = 20.8 -> 20 tasks a second
  #     At that rate the queued syncs make, on average, at most 20 x 4 x 60 = 4,800 Calendar
  #     requests a minute: half of the project's 10,000. The other half is left for the
  #     planner's interactive calls (calendar lists, previews, consents) and in-run retries.
  #   max_concurrent_dispatches = share x project quota / per-user quota
  #                             = 0.5 x 10,000 / 600 = 8.3 -> 8 tasks at once
  #     A task is one link, so one Google account, and an account may make at most 600 requests
  #     a minute: even if every running task went at its account's full rate (a first sync that
  #     fills a calendar can), 8 of them stay within the same half of the project's quota.
  #   Both round down and are at least 1; Cloud Tasks allows at most 500 dispatches a second.
  #
  # Throughput at the defaults: at most 20 tasks a second, i.e. 20 x 60 x sync_poll_minutes =
  # 6,000 links per 5-minute poll interval (fewer when a task takes longer than 8 / 20 = 0.4 s:
  # then the concurrency bound holds the rate back). Tasks beyond that wait in the queue. More
  # links need more quota from Google first (then raise calendar_quota_per_minute).
  # The worker's max_instances must be at least the concurrency (one request per instance),
  # or Cloud Run would answer the surplus dispatches 429: the queue's precondition says so.
  sync_dispatches_per_second = min(500, max(1, floor(var.calendar_quota_per_minute * var.sync_quota_share / 60 / var.sync_requests_per_task)))
  sync_concurrent_dispatches = max(1, floor(var.calendar_quota_per_minute * var.sync_quota_share / var.calendar_quota_per_user_minute))
}

resource "google_service_account" "tasks" {
  count = local.sync_tasks ? 1 : 0

  account_id   = "sync-tasks"
  display_name = "Cloud Tasks: sync_link"
  description  = "Identity in the OIDC token with which the sync-links queue calls the sync_link function."

  depends_on = [google_project_service.apis]
}

resource "google_cloud_tasks_queue" "sync_links" {
  count = local.sync_tasks ? 1 : 0

  name     = local.sync_queue_name
  location = var.region

  rate_limits {
    max_dispatches_per_second = local.sync_dispatches_per_second
    max_concurrent_dispatches = local.sync_concurrent_dispatches
  }

  # The worker answers 429 (Google's usage limit) or 503 (another run holds the link, or part of
  # the run did not go through) when a retry can help, 2xx for everything else (done, idle, or
  # a state no retry changes: needs_reconsent, calendar_missing, a mass change held back).
  # Retries back off 10 s, 20 s, 40 s, 80 s, 160 s (doubling, never more than one poll
  # interval): five retries over about five minutes, when the link's next backstop poll is due
  # anyway. A task that still fails is dropped; the link keeps its state and last_error, and
  # its next poll tries again.
  retry_config {
    max_attempts  = 6
    min_backoff   = "10s"
    max_backoff   = "${var.sync_poll_minutes * 60}s"
    max_doublings = 4
  }

  lifecycle {
    precondition {
      condition     = local.sync_concurrent_dispatches <= local.functions["sync_link"].max_instances
      error_message = "The queue may run more sync_link tasks at once than the function has instances: raise max_instances of sync_link in infra/functions.tf to at least max_concurrent_dispatches."
    }
  }

  depends_on = [google_project_service.apis]
}

# Only the tasks service account may invoke the worker (Cloud Run checks the OIDC token).
resource "google_cloud_run_service_iam_member" "tasks_invoke_sync_link" {
  count = local.sync_tasks ? 1 : 0

  location = var.region
  service  = google_cloudfunctions2_function.fn["sync_link"].service_config[0].service
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.tasks[0].email}"
}

# The functions that queue link tasks may create tasks on this queue (and on no other) ...
resource "google_cloud_tasks_queue_iam_member" "enqueuer" {
  for_each = local.queue_enqueuers

  project  = var.project_id
  location = google_cloud_tasks_queue.sync_links[0].location
  name     = google_cloud_tasks_queue.sync_links[0].name
  role     = "roles/cloudtasks.enqueuer"
  member   = "serviceAccount:${google_service_account.fn[each.key].email}"
}

# ... and attach sync-tasks' OIDC token to them: actAs on that one service account, never on
# the project (which would let them act as every service account in it).
resource "google_service_account_iam_member" "enqueuer_acts_as_tasks" {
  for_each = local.queue_enqueuers

  service_account_id = google_service_account.tasks[0].name
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.fn[each.key].email}"
}

# The functions: one Cloud Function (2nd gen, HTTP) per entry point of main.py.
#
# `local.functions` is the ONE place that says what is deployed and what each function may do.
# tests/infra reads it and checks it against the code: its names must equal main.py's
# `__all__`, its secrets must cover what each function's code reads, only the functions the
# planner (or a browser) must reach are public. Adding a function is one line here.
#
#   public          true:  allUsers may invoke it; the gate is in the code (the planner's HS256
#                          JWT on every route; for oauth_callback the single-use OAuth state,
#                          bound to the browser that began the consent; for google_push each
#                          push channel's own random token, which Google sends back in a header).
#                   false: private; only principals granted roles/run.invoker may invoke it
#                          (for sync: the Scheduler's own service account, for sync_link: the
#                          queue's, each with an OIDC token).
#   secrets         the Secret Manager secrets the code reads at run time, by name; each one
#                   becomes a secretAccessor (+ viewer, to list enabled versions) binding on that
#                   secret for this function's own service account, and nothing more.
#   memory, timeout_seconds, max_instances: the function's size and its cap. (Every function
#                   loads all of main.py, so they all need about the same memory.)
#
# The `sync` line also creates the Scheduler job, its service account and its invoker grant
# (scheduler.tf); the `sync_link` line the queue, its service account and the grants around it
# (tasks.tf). Without the line, none of them exists.
#
# sync: max_instances 2, so that the Scheduler's call every minute (the dispatch, seconds) never
# waits behind a sync the planner asked for (one branch, or `force`), which runs in `sync` itself.
# sync_link: one link per request; timeout below Cloud Tasks' 10-minute dispatch deadline (the
# task's, the code sets none), max_instances at least the queue's max_concurrent_dispatches.
# google_push: Google's push notifications (public: Google cannot send a token of ours in
# Authorization, and Google must reach it). It reads no secret: it compares the channel token
# with the hash stored in Firestore and queues the link's task. Each notification is one
# Firestore read and one task creation, so 20 instances carry a few hundred a second.
# revoke reads oauth-client: it stops the link's push channels with the grant before revoking it.
locals {
  functions = {
    google_push    = { public = true, secrets = [], memory = "512M", timeout_seconds = 60, max_instances = 20 }
    links          = { public = true, secrets = ["oauth-client", "token-key", "planner-jwt-key"], memory = "512M", timeout_seconds = 300, max_instances = 10 }
    oauth_callback = { public = true, secrets = ["oauth-client", "token-key"], memory = "512M", timeout_seconds = 60, max_instances = 5 }
    oauth_start    = { public = true, secrets = ["token-key", "planner-jwt-key"], memory = "512M", timeout_seconds = 60, max_instances = 5 }
    planner        = { public = true, secrets = ["planner-jwt-key"], memory = "512M", timeout_seconds = 60, max_instances = 20 }
    revoke         = { public = true, secrets = ["oauth-client", "token-key", "planner-jwt-key"], memory = "512M", timeout_seconds = 60, max_instances = 5 }
    sync           = { public = false, secrets = ["oauth-client", "token-key", "planner-jwt-key"], memory = "512M", timeout_seconds = 540, max_instances = 2 }
    sync_link      = { public = false, secrets = ["oauth-client", "token-key"], memory = "512M", timeout_seconds = 540, max_instances = 10 }
  }

  runtime = "python312"

  # Function F is at PUBLIC_BASE_URL/F (API.md); the OAuth redirect URI is .../oauth_callback.
  public_base_url = "https://${var.region}-${var.project_id}.cloudfunctions.net"

  # What every function reads from its environment (functions/config.py ENV_DEFAULTS). The
  # GOOGLE_* endpoint variables are left unset on purpose: their defaults are Google's
  # production endpoints. Secrets are NOT here: the code reads them from Secret Manager.
  env = {
    PUBLIC_BASE_URL        = local.public_base_url
    GOOGLE_CLOUD_PROJECT   = var.project_id
    SYNC_HORIZON_DAYS      = tostring(var.sync_horizon_days)
    GOOGLE_PUSH_URL        = local.push_url
    SYNC_PUSH_POLL_MINUTES = tostring(var.sync_push_poll_minutes)
  }

  # Google push (docs/deploy.md, "Push notifications"): on while google_push and the queue are
  # deployed and var.push_enabled. GOOGLE_PUSH_URL is the webhook's HTTPS URL, which every link's
  # channel names as its address; empty, no channel is opened (and those open are stopped at
  # each link's next run) and every link polls every sync_poll_minutes. With push, a link whose
  # channel is healthy is polled every sync_push_poll_minutes only.
  push     = contains(keys(local.functions), "google_push") && local.sync_tasks && var.push_enabled
  push_url = local.push ? "${local.public_base_url}/google_push" : ""

  # Change-driven sync (tasks.tf), for the functions that queue link tasks, and only while the
  # queue exists: with SYNC_QUEUE, `sync` dispatches the links due each minute (every link once
  # per SYNC_POLL_MINUTES) and `planner` queues a changed appointment's link (writes within
  # SYNC_DEBOUNCE_SECONDS are one task). The worker needs none of them; SYNC_TASKS_INVOKER_EMAIL
  # keeps its default, sync-tasks@<project> (tasks.tf's account). CLOUD_TASKS_API_ENDPOINT is
  # for the local emulator only and never set here.
  task_env = {
    SYNC_QUEUE            = local.sync_queue_id
    SYNC_POLL_MINUTES     = tostring(var.sync_poll_minutes)
    SYNC_DEBOUNCE_SECONDS = tostring(var.sync_debounce_seconds)
  }

  function_env = {
    for name in keys(local.functions) : name => merge(local.env, {
      for key, value in local.task_env : key => value if local.sync_tasks && contains(local.task_enqueuers, name)
    })
  }

  public_functions = { for name, spec in local.functions : name => spec if spec.public }
}

resource "google_cloudfunctions2_function" "fn" {
  for_each = local.functions

  name        = each.key
  location    = var.region
  description = "Planner - Google Calendar bridge: ${each.key}"

  build_config {
    runtime         = local.runtime
    entry_point     = each.key
    service_account = google_service_account.builder.id

    # Not read by the code: changing var.rollout rebuilds every function into a new revision,
    # whose instances read the secrets afresh.
    environment_variables = { ROLLOUT = var.rollout }

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    service_account_email          = google_service_account.fn[each.key].email
    environment_variables          = local.function_env[each.key]
    ingress_settings               = "ALLOW_ALL"
    all_traffic_on_latest_revision = true
    available_memory               = each.value.memory
    timeout_seconds                = each.value.timeout_seconds
    max_instance_count             = each.value.max_instances
  }

  # A new revision must find its permissions (and the queue it is told of) in place on its
  # first request.
  depends_on = [
    google_project_iam_member.runtime,
    google_project_iam_member.builder,
    google_secret_manager_secret_iam_member.accessor,
    google_secret_manager_secret_iam_member.version_lister,
    google_cloud_tasks_queue.sync_links,
    google_cloud_tasks_queue_iam_member.enqueuer,
    google_service_account_iam_member.enqueuer_acts_as_tasks,
  ]
}

# Public functions: anyone may send a request; the code refuses it without a valid planner JWT
# (or, for oauth_callback, without a valid single-use state). See docs/deploy.md, "Who can call what".
resource "google_cloud_run_service_iam_member" "public" {
  for_each = local.public_functions

  location = var.region
  service  = google_cloudfunctions2_function.fn[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = "allUsers"
}

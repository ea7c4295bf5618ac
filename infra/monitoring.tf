# Monitoring: log-based metrics on what the code and the Scheduler really log, the alert policies
# on them, where the alerts go, and one dashboard. docs/operations.md ("Alerts") says what each
# alert means and what to do.
#
# The code logs JSON lines (functions/logs.py): Cloud Logging puts them into jsonPayload, with
# `message` (the text the code logs, after redaction) and `logger` (the Python module that logs
# it). Each app metric's filter (local.app_log_metrics) selects log calls by exactly these two
# fields, and tests/infra checks every (logger, message) pair against the log calls in functions/:
# a renamed or removed log line fails the tests instead of silently never counting again. A message
# the code formats (`%s`) is matched on its fixed beginning (`=~"^..."`).
#
# A link entering a state someone must act on (needs_reconsent, calendar_missing, throttled, a mass
# change held back) is one line with fixed fields (functions/status_log.py): `event` =
# "link_status_changed", `link`, `status`, `reason` and, for a link with a recorded consent,
# `consent_age_hours` (a number). The status metrics (link_status_changed, grant_dead_after_a_week)
# select it by `jsonPayload.event`, never by its message, and tests/infra reads the event, the
# reasons (the module's constants) and the statuses (what its callers pass) from the code: renamed
# there, the tests fail.
#
# Alert conditions cost money (Cloud Monitoring bills each condition per month): there are eight,
# and alerts_enabled = false removes all of them (the metrics and the dashboard stay).

locals {
  log_metric_prefix = "planner-sync"

  # Counters of log lines the functions write (resource: their Cloud Run revisions).
  app_log_metrics = {
    # A link's run that raised (the engine logs it and answers the task 503), and any request
    # a function could not answer: an unhandled error (500) or a configuration error (500
    # "misconfigured": a secret or a setting missing).
    sync_errors = {
      display_name = "Sync and function errors"
      description  = "Unexpected errors: a link's sync raised, a function answered 500 (unhandled error or misconfiguration)."
      filter       = "resource.type=\"cloud_run_revision\" AND ((jsonPayload.logger=\"functions.sync.engine\" AND jsonPayload.message=\"sync of a link failed\") OR (jsonPayload.logger=\"functions.http\" AND jsonPayload.message=~\"^unhandled error in \") OR (jsonPayload.logger=\"functions.http\" AND jsonPayload.message=~\"^configuration error: \"))"
    }
    # Google did not answer during a link's run: the link keeps its state and is tried again.
    google_unavailable = {
      display_name = "Google unavailable during a sync"
      description  = "A link's run could not reach Google (timeouts, 5xx); the link is retried."
      filter       = "resource.type=\"cloud_run_revision\" AND jsonPayload.logger=\"functions.sync.engine\" AND jsonPayload.message=\"Google unavailable; the link is retried next run\""
    }
    # The deployment's configuration is broken: a stored refresh token no enabled token-key
    # version opens (a version was disabled too early; the link becomes needs_reconsent), an
    # OIDC token sync or sync_link refuses (the Scheduler's or the queue's identity or audience
    # changed), or a planner write could not queue its link's sync (the queue or its grants).
    config_errors = {
      display_name = "Configuration errors"
      description  = "Refresh tokens no enabled key version opens, refused OIDC tokens, link syncs that could not be queued."
      filter       = "resource.type=\"cloud_run_revision\" AND ((jsonPayload.logger=\"functions.sync.engine\" AND jsonPayload.message=\"stored token does not decrypt with any enabled key version\") OR (jsonPayload.logger=\"functions.services.revoke\" AND jsonPayload.message=\"stored token does not decrypt; forgetting it\") OR (jsonPayload.logger=\"functions.auth\" AND jsonPayload.message=\"OIDC token refused\") OR (jsonPayload.logger=\"functions.services.dispatch\" AND jsonPayload.message=\"could not queue the link's sync; the backstop poll will bring it\"))"
    }
    # Consents that did not complete: the code exchange failed, or the consent was finished in
    # another browser than it began in (refused, RFC 9700). Dashboard only.
    consent_problems = {
      display_name = "Consents refused or failed"
      description  = "OAuth code exchanges that failed and consents finished in another browser (refused)."
      filter       = "resource.type=\"cloud_run_revision\" AND ((jsonPayload.logger=\"functions.services.consent\" AND jsonPayload.message=\"code exchange failed\") OR (jsonPayload.logger=\"functions.services.consent\" AND jsonPayload.message=\"consent finished in another browser than it began in; refused\"))"
    }
  }

  # The line functions/status_log.py writes whenever a link enters a state someone must act on.
  link_status_log = "resource.type=\"cloud_run_revision\" AND jsonPayload.event=\"link_status_changed\""

  # Cloud Scheduler logs every attempt of the job (log cloudscheduler.googleapis.com/executions):
  # a finished attempt is an AttemptFinished entry, ERROR when the call of sync failed (its HTTP
  # status, or a refused token).
  scheduler_log = "resource.type=\"cloud_scheduler_job\" AND resource.labels.job_id=\"sync\" AND logName=\"projects/${var.project_id}/logs/cloudscheduler.googleapis.com%2Fexecutions\""

  # Cloud Functions runs each function as a Cloud Run service of the same name, in lower case with
  # `_` as `-`: the worker's requests are those of the service sync-link.
  worker_service = "sync-link"

  alerts         = var.alerts_enabled
  alert_channels = concat(var.alert_notification_channels, google_monitoring_notification_channel.email[*].id)
}

resource "google_logging_metric" "app" {
  for_each = local.app_log_metrics

  name        = "${local.log_metric_prefix}/${each.key}"
  description = each.value.description
  filter      = each.value.filter

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = each.value.display_name

    labels {
      key         = "function"
      value_type  = "STRING"
      description = "The Cloud Run service (function) that logged it."
    }
  }

  label_extractors = {
    function = "EXTRACT(resource.labels.service_name)"
  }

  depends_on = [google_project_service.apis]
}

# Every finished attempt of the Scheduler job: its absence means the job no longer runs.
resource "google_logging_metric" "scheduler_attempts" {
  count = local.schedule_sync ? 1 : 0

  name        = "${local.log_metric_prefix}/scheduler_attempts"
  description = "Finished attempts of the Cloud Scheduler job sync (successful or not)."
  filter      = "${local.scheduler_log} AND jsonPayload.\"@type\"=\"type.googleapis.com/google.cloud.scheduler.logging.AttemptFinished\""

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "Scheduler attempts"
  }

  depends_on = [google_cloud_scheduler_job.sync]
}

# The attempts that failed: sync answered an error, or refused the Scheduler's token.
resource "google_logging_metric" "scheduler_failures" {
  count = local.schedule_sync ? 1 : 0

  name        = "${local.log_metric_prefix}/scheduler_failures"
  description = "Failed attempts of the Cloud Scheduler job sync."
  filter      = "${local.scheduler_log} AND severity>=ERROR"

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "Scheduler attempts failed"
  }

  depends_on = [google_cloud_scheduler_job.sync]
}

# Every link that enters a state someone must act on, by status (needs_reconsent, calendar_missing,
# throttled, blocked: a mass change held back) and reason (grant_dead, token_unreadable,
# calendar_missing, throttled, mass_change_blocked).
resource "google_logging_metric" "link_status_changed" {
  name        = "${local.log_metric_prefix}/link_status_changed"
  description = "Links entering a state someone must act on (needs_reconsent, calendar_missing, throttled, a mass change held back), by status and reason."
  filter      = local.link_status_log

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "Links entering a state to act on"

    labels {
      key         = "function"
      value_type  = "STRING"
      description = "The Cloud Run service (function) that logged it."
    }
    labels {
      key         = "status"
      value_type  = "STRING"
      description = "The link's new status: needs_reconsent, calendar_missing, throttled, or blocked (a mass change held back)."
    }
    labels {
      key         = "reason"
      value_type  = "STRING"
      description = "Why: grant_dead, token_unreadable, calendar_missing, throttled or mass_change_blocked."
    }
  }

  label_extractors = {
    function = "EXTRACT(resource.labels.service_name)"
    status   = "EXTRACT(jsonPayload.status)"
    reason   = "EXTRACT(jsonPayload.reason)"
  }

  depends_on = [google_project_service.apis]
}

# Grants that die about 7 days (168 hours) after their consent: Google expires the refresh tokens of
# an OAuth app whose consent screen is still in "Testing" a week after the consent. The window of
# 160 to 176 hours takes in when the link's next run meets the dead token; a grant revoked by its
# user at any other age does not count here.
resource "google_logging_metric" "grant_dead_after_a_week" {
  name        = "${local.log_metric_prefix}/grant_dead_after_a_week"
  description = "Grants that died 160 to 176 hours after their consent: the OAuth app is still in Testing (its refresh tokens expire after 7 days)."
  filter      = "${local.link_status_log} AND jsonPayload.reason=\"grant_dead\" AND jsonPayload.consent_age_hours>=160 AND jsonPayload.consent_age_hours<=176"

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "Grants dead 7 days after consent"

    labels {
      key         = "function"
      value_type  = "STRING"
      description = "The Cloud Run service (function) that logged it."
    }
  }

  label_extractors = {
    function = "EXTRACT(resource.labels.service_name)"
  }

  depends_on = [google_project_service.apis]
}

# Where the alerts go: an e-mail address (optional) and/or channels made elsewhere (optional).
# Without either, alerts still open incidents (Console -> Monitoring -> Alerting), unannounced.
resource "google_monitoring_notification_channel" "email" {
  count = var.alert_email == "" ? 0 : 1

  display_name = "Planner sync alerts"
  type         = "email"
  labels       = { email_address = var.alert_email }
  user_labels  = { app = "planner-google-sync" }

  depends_on = [google_project_service.apis]
}

resource "google_monitoring_alert_policy" "sync_errors" {
  count = local.alerts ? 1 : 0

  display_name          = "Planner sync: errors"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.alert_channels
  user_labels           = { app = "planner-google-sync" }

  conditions {
    display_name = "A link's sync raised or a function answered 500"
    condition_threshold {
      filter          = "resource.type=\"cloud_run_revision\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.app["sync_errors"].name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A link's sync raised, or a function answered 500. Logs Explorer: the metric's filter (Logging -> Log-based metrics -> planner-sync/sync_errors -> View logs); the entry names the link (jsonPayload.link) and has the traceback. docs/operations.md, Alerts."
  }
}

resource "google_monitoring_alert_policy" "config_errors" {
  count = local.alerts ? 1 : 0

  display_name          = "Planner sync: configuration broken"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = local.alert_channels
  user_labels           = { app = "planner-google-sync" }

  conditions {
    display_name = "Unreadable tokens, refused OIDC tokens or syncs that could not be queued"
    condition_threshold {
      filter          = "resource.type=\"cloud_run_revision\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.app["config_errors"].name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The deployment's configuration is broken: a token-key version was disabled while links still use it (those links are now needs_reconsent), the Scheduler's or the queue's OIDC token is refused, or planner writes cannot queue their link's sync. docs/operations.md, Alerts and Key rotation; terraform apply restores the grants."
  }
}

resource "google_monitoring_alert_policy" "scheduler" {
  count = local.alerts && local.schedule_sync ? 1 : 0

  display_name          = "Planner sync: Scheduler job failing or stopped"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = local.alert_channels
  user_labels           = { app = "planner-google-sync" }

  # The job calls sync every minute and never retries: three failures in ten minutes are no
  # longer a passing hiccup.
  conditions {
    display_name = "At least 3 failed attempts in 10 minutes"
    condition_threshold {
      filter          = "resource.type=\"cloud_scheduler_job\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.scheduler_failures[0].name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 2
      duration        = "0s"
      aggregations {
        alignment_period     = "600s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  # Paused, deleted, or Cloud Scheduler itself down: no attempt at all (expected while the job
  # is paused for maintenance; the incident closes when the runs resume).
  conditions {
    display_name = "No attempt for 10 minutes"
    condition_absent {
      filter   = "resource.type=\"cloud_scheduler_job\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.scheduler_attempts[0].name}\""
      duration = "600s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Cloud Scheduler's job sync fails or does not run: no link is polled (phone edits stop arriving). gcloud scheduler jobs describe sync --location=REGION shows the last attempt's status. docs/operations.md, Alerts."
  }
}

resource "google_monitoring_alert_policy" "tasks" {
  count = local.alerts && local.sync_tasks ? 1 : 0

  display_name          = "Planner sync: queued link syncs failing"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.alert_channels
  user_labels           = { app = "planner-google-sync" }

  # sync_link answers 503 when part of a run did not go through (Google unavailable, writes
  # refused, another run holds the link) and the queue retries: a few are normal, more than a
  # tenth of all answers for 15 minutes is not.
  conditions {
    display_name = "More than 10 % of sync_link's answers are 5xx for 15 minutes"
    condition_threshold {
      filter             = "metric.type=\"run.googleapis.com/request_count\" AND resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${local.worker_service}\" AND metric.labels.response_code_class=\"5xx\""
      denominator_filter = "metric.type=\"run.googleapis.com/request_count\" AND resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${local.worker_service}\""
      comparison         = "COMPARISON_GT"
      threshold_value    = 0.1
      duration           = "900s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_RATE"
        cross_series_reducer = "REDUCE_SUM"
      }
      denominator_aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_RATE"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Many queued link syncs fail and are retried. gcloud tasks list --queue=sync-links --location=REGION shows the tasks and their last answers; docs/operations.md, The queue (A stuck link) and Alerts."
  }
}

# A link that needs its employee: a new consent (needs_reconsent) or a calendar chosen again
# (calendar_missing). One time series per status and reason, so the incident names both.
resource "google_monitoring_alert_policy" "links_need_action" {
  count = local.alerts ? 1 : 0

  display_name          = "Planner sync: links need a new consent or calendar"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = local.alert_channels
  user_labels           = { app = "planner-google-sync" }

  conditions {
    display_name = "A link entered needs_reconsent or calendar_missing"
    condition_threshold {
      filter          = "resource.type=\"cloud_run_revision\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.link_status_changed.name}\" AND metric.labels.status=one_of(\"needs_reconsent\", \"calendar_missing\")"
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.status", "metric.label.reason"]
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A link stopped syncing until its employee acts; the incident names the status and the reason, the log entries (Logging -> Log-based metrics -> planner-sync/link_status_changed -> View logs) name the link (jsonPayload.link, branch:resource). **needs_reconsent** (Google no longer accepts the grant: revoked, password changed, expired; token_unreadable: no enabled token-key version opens it): ask the employee to consent again in the planner (\"Google-Kalender verknüpfen\" on the resource). **calendar_missing** (the linked calendar was deleted or is no longer writable): ask them to pick the calendar again in the planner; no new consent is needed. Many links at once about a week after their consent: the OAuth app is still in Testing (its own alert). docs/operations.md, Alerts and Link statuses."
  }
}

# A mass change held back by the circuit breaker: nothing of the link's run is applied until an
# admin decides.
resource "google_monitoring_alert_policy" "mass_change_blocked" {
  count = local.alerts ? 1 : 0

  display_name          = "Planner sync: mass change held back"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = local.alert_channels
  user_labels           = { app = "planner-google-sync" }

  conditions {
    display_name = "A link's run was held back (status blocked)"
    condition_threshold {
      filter          = "resource.type=\"cloud_run_revision\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.link_status_changed.name}\" AND metric.labels.status=\"blocked\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A link's run would have deleted more than max(10, 20 %) of its synced items on one side and was held back: an admin must decide. The log entry names the link (jsonPayload.link); its last_error (mass_change_blocked: the counts) and audit log say what the run would have deleted. Look at both sides (a wrong calendar, a broken listing, a bulk edit?). Intended: the planner backend runs sync once for the link with force = true. Not intended: fix the cause; the link stays held back meanwhile. docs/operations.md, Link statuses (Mass changes held back) and Alerts."
  }
}

# Refresh tokens dying a week after their consent: the consent screen is still in "Testing".
resource "google_monitoring_alert_policy" "testing_app" {
  count = local.alerts ? 1 : 0

  display_name          = "Planner sync: grants expire 7 days after consent (OAuth app in Testing)"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.alert_channels
  user_labels           = { app = "planner-google-sync" }

  conditions {
    display_name = "A grant died 160 to 176 hours after its consent"
    condition_threshold {
      filter          = "resource.type=\"cloud_run_revision\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.grant_dead_after_a_week.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A link's grant died about 7 days after its consent: the OAuth consent screen is still in \"Testing\", and Google expires a Testing app's refresh tokens after 7 days, so every link will fall to needs_reconsent a week after its consent. Publish the app (Google Auth Platform -> Audience -> Publish app: \"In production\"); an External app asking for these sensitive scopes must also be verified by Google (own domain, privacy policy, submission), or use an Internal app if every account belongs to the practice's Workspace. docs/deploy.md, step 2 and \"Going to production with an External app: verification, your own domain\". Then the affected employees consent once more in the planner; their new grants do not expire. docs/operations.md, Alerts."
  }
}

# One page for the admin: the worker's answers and latency, the queue, the errors, the Scheduler,
# Firestore, the Calendar API and the links entering a state to act on.
resource "google_monitoring_dashboard" "sync" {
  dashboard_json = jsonencode({
    displayName = "Planner - Google Calendar sync"
    mosaicLayout = {
      columns = 48
      tiles = [
        {
          xPos = 0, yPos = 0, width = 24, height = 16
          widget = {
            title = "sync_link answers per second, by class"
            xyChart = { dataSets = [{ plotType = "STACKED_BAR", timeSeriesQuery = { timeSeriesFilter = {
              filter      = "metric.type=\"run.googleapis.com/request_count\" AND resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${local.worker_service}\""
              aggregation = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_RATE", crossSeriesReducer = "REDUCE_SUM", groupByFields = ["metric.labels.response_code_class"] }
            } } }] }
          }
        },
        {
          xPos = 24, yPos = 0, width = 24, height = 16
          widget = {
            title = "sync_link latency (95th percentile)"
            xyChart = { dataSets = [{ plotType = "LINE", timeSeriesQuery = { timeSeriesFilter = {
              filter      = "metric.type=\"run.googleapis.com/request_latencies\" AND resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${local.worker_service}\""
              aggregation = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_PERCENTILE_95", crossSeriesReducer = "REDUCE_MAX" }
            } } }] }
          }
        },
        {
          xPos = 0, yPos = 16, width = 24, height = 16
          widget = {
            title = "Tasks waiting in sync-links"
            xyChart = { dataSets = [{ plotType = "LINE", timeSeriesQuery = { timeSeriesFilter = {
              filter      = "metric.type=\"cloudtasks.googleapis.com/queue/depth\" AND resource.type=\"cloud_tasks_queue\" AND resource.labels.queue_id=\"${local.sync_queue_name}\""
              aggregation = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_MAX", crossSeriesReducer = "REDUCE_SUM" }
            } } }] }
          }
        },
        {
          xPos = 24, yPos = 16, width = 24, height = 16
          widget = {
            title = "Errors and Google outages (log lines per 5 minutes)"
            xyChart = { dataSets = [for key in ["sync_errors", "google_unavailable", "config_errors", "consent_problems"] : {
              plotType = "LINE", legendTemplate = key, timeSeriesQuery = { timeSeriesFilter = {
                filter      = "metric.type=\"logging.googleapis.com/user/${local.log_metric_prefix}/${key}\""
                aggregation = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_SUM", crossSeriesReducer = "REDUCE_SUM" }
            } } }] }
          }
        },
        {
          xPos = 0, yPos = 32, width = 24, height = 16
          widget = {
            title = "Scheduler attempts (all / failed, per 10 minutes)"
            xyChart = { dataSets = [for key in ["scheduler_attempts", "scheduler_failures"] : {
              plotType = "LINE", legendTemplate = key, timeSeriesQuery = { timeSeriesFilter = {
                filter      = "metric.type=\"logging.googleapis.com/user/${local.log_metric_prefix}/${key}\""
                aggregation = { alignmentPeriod = "600s", perSeriesAligner = "ALIGN_SUM", crossSeriesReducer = "REDUCE_SUM" }
            } } }] }
          }
        },
        {
          xPos = 24, yPos = 32, width = 24, height = 16
          widget = {
            title = "Firestore document reads and writes per second"
            xyChart = { dataSets = [for kind in ["read", "write"] : {
              plotType = "LINE", legendTemplate = kind, timeSeriesQuery = { timeSeriesFilter = {
                filter      = "metric.type=\"firestore.googleapis.com/document/${kind}_count\" AND resource.type=\"firestore_instance\""
                aggregation = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_RATE", crossSeriesReducer = "REDUCE_SUM" }
            } } }] }
          }
        },
        {
          xPos = 0, yPos = 48, width = 48, height = 16
          widget = {
            title = "Google Calendar API requests per second, by class"
            xyChart = { dataSets = [{ plotType = "STACKED_BAR", timeSeriesQuery = { timeSeriesFilter = {
              filter      = "metric.type=\"serviceruntime.googleapis.com/api/request_count\" AND resource.type=\"consumed_api\" AND resource.labels.service=\"calendar-json.googleapis.com\""
              aggregation = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_RATE", crossSeriesReducer = "REDUCE_SUM", groupByFields = ["metric.labels.response_code_class"] }
            } } }] }
          }
        },
        {
          xPos = 0, yPos = 64, width = 24, height = 16
          widget = {
            title = "Links entering a state to act on, by status (per 5 minutes)"
            xyChart = { dataSets = [{ plotType = "STACKED_BAR", timeSeriesQuery = { timeSeriesFilter = {
              filter      = "metric.type=\"logging.googleapis.com/user/${local.log_metric_prefix}/link_status_changed\""
              aggregation = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_SUM", crossSeriesReducer = "REDUCE_SUM", groupByFields = ["metric.label.status"] }
            } } }] }
          }
        },
        {
          xPos = 24, yPos = 64, width = 24, height = 16
          widget = {
            title = "Grants dead 7 days after consent (OAuth app in Testing; per hour)"
            xyChart = { dataSets = [{ plotType = "STACKED_BAR", timeSeriesQuery = { timeSeriesFilter = {
              filter      = "metric.type=\"logging.googleapis.com/user/${local.log_metric_prefix}/grant_dead_after_a_week\""
              aggregation = { alignmentPeriod = "3600s", perSeriesAligner = "ALIGN_SUM", crossSeriesReducer = "REDUCE_SUM" }
            } } }] }
          }
        },
      ]
    }
  })

  depends_on = [google_project_service.apis]
}

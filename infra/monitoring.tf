# Monitoring: log-based metrics on what the code and the Scheduler really log, the alert policies
# on them, where the alerts go, and one dashboard. docs/operations.md ("Alerts") says what each
# alert means and what to do.
#
# The code logs JSON lines (functions/logs.py): Cloud Logging puts them into jsonPayload, with
# `message` (the text the code logs, after redaction) and `logger` (the Python module that logs
# it). Each filter below selects log calls by exactly these two fields, and tests/infra checks every
# (logger, message) pair against the log calls in functions/: a renamed or removed log line fails
# the tests instead of silently never counting again. A message the code formats (`%s`) is matched
# on its fixed beginning (`=~"^..."`).
#
# What the code does not log cannot be counted: a link's move to needs_reconsent (a dead grant,
# for instance a refresh token that expired 7 days after its consent while the OAuth app is still
# in "Testing"), to calendar_missing, or a mass change held back are written to Firestore and the
# link's audit log only. docs/operations.md says how to find them until the code logs them.
#
# Alert conditions cost money (Cloud Monitoring bills each condition per month): there are five,
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

# One page for the admin: the worker's answers and latency, the queue, the errors, the Scheduler,
# Firestore and the Calendar API.
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
      ]
    }
  })

  depends_on = [google_project_service.apis]
}

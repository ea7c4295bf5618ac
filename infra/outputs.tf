output "public_base_url" {
  description = "PUBLIC_BASE_URL of every function: function F is at <this>/F."
  value       = local.public_base_url
}

output "function_urls" {
  description = "URL of each deployed function."
  value       = { for name, fn in google_cloudfunctions2_function.fn : name => fn.url }
}

output "oauth_redirect_uri" {
  description = "Register exactly this as an authorized redirect URI of the OAuth client (docs/deploy.md, step 3)."
  value       = "${local.public_base_url}/oauth_callback"
}

output "function_service_accounts" {
  description = "The service account each function runs as."
  value       = { for name, sa in google_service_account.fn : name => sa.email }
}

output "scheduler_service_account" {
  description = "The identity in the Scheduler's OIDC token for sync (null until sync is deployed)."
  value       = one(google_service_account.scheduler[*].email)
}

output "sync_oidc_audience" {
  description = "The audience of the Scheduler's OIDC token for sync (null until sync is deployed)."
  value       = one(google_cloud_scheduler_job.sync[*].http_target[0].oidc_token[0].audience)
}

output "sync_queue" {
  description = "SYNC_QUEUE: the Cloud Tasks queue of link syncs (null until sync_link is deployed)."
  value       = one(google_cloud_tasks_queue.sync_links[*].id)
}

output "tasks_service_account" {
  description = "The identity in the queue's OIDC token for sync_link, the only one that may invoke it (null until sync_link is deployed)."
  value       = one(google_service_account.tasks[*].email)
}

output "alert_notification_channels" {
  description = "The notification channels every alert policy notifies (empty: alerts open incidents only)."
  value       = local.alert_channels
}

output "monitoring_dashboard" {
  description = "The dashboard of the sync (Console -> Monitoring -> Dashboards)."
  value       = google_monitoring_dashboard.sync.id
}

# The Google APIs the deployment uses. docs/deploy.md enables the same list with gcloud before
# the first `terraform apply` (Terraform itself needs Service Usage and Resource Manager first).
# calendar-json is the Google Calendar API that the OAuth client's tokens are used against;
# monitoring holds the alert policies, notification channels and the dashboard (monitoring.tf).

locals {
  apis = [
    "artifactregistry.googleapis.com",
    "calendar-json.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "cloudscheduler.googleapis.com",
    "cloudtasks.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "serviceusage.googleapis.com",
    "storage.googleapis.com",
  ]
}

resource "google_project_service" "apis" {
  for_each = toset(local.apis)

  service            = each.key
  disable_on_destroy = false
}

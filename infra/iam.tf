# Identities: one service account per function, one for building the functions, one for the
# Scheduler. Every grant is listed here; tests/infra refuses basic roles (owner, editor,
# viewer) and any grant not on this page's allow-list.

locals {
  # Every function reads and writes Firestore, and nothing else at project level. Logs go to
  # stdout, which Cloud Run collects without any role.
  runtime_roles = ["roles/datastore.user"]

  # What Cloud Build needs to turn the source zip into a function image (Google's documented
  # minimum for a custom build service account): write build logs, push the image, read the
  # uploaded source.
  builder_roles = ["roles/logging.logWriter", "roles/artifactregistry.writer", "roles/storage.objectAdmin"]

  runtime_bindings = {
    for pair in setproduct(keys(local.functions), local.runtime_roles) : "${pair[0]}/${pair[1]}" => { function = pair[0], role = pair[1] }
  }
}

resource "google_service_account" "fn" {
  for_each = local.functions

  account_id   = "fn-${replace(each.key, "_", "-")}"
  display_name = "Cloud Function ${each.key} (runtime)"
  description  = "Runs the ${each.key} function; see infra/functions.tf for what it may read."

  depends_on = [google_project_service.apis]
}

resource "google_project_iam_member" "runtime" {
  for_each = local.runtime_bindings

  project = var.project_id
  role    = each.value.role
  member  = "serviceAccount:${google_service_account.fn[each.value.function].email}"
}

resource "google_service_account" "builder" {
  account_id   = "fn-builder"
  display_name = "Cloud Functions build"
  description  = "Cloud Build runs as this account when it builds a function from source."

  depends_on = [google_project_service.apis]
}

resource "google_project_iam_member" "builder" {
  for_each = toset(local.builder_roles)

  project = var.project_id
  role    = each.key
  member  = "serviceAccount:${google_service_account.builder.email}"
}

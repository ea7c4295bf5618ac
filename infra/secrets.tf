# Secret Manager: the three secrets the code reads by name (functions/config.py SECRET_NAMES).
# Terraform creates the secrets and who may read them, never a value: versions are added out of
# band with `gcloud secrets versions add` (docs/deploy.md), so no secret is ever in the state.

locals {
  secret_names = ["oauth-client", "token-key", "planner-jwt-key"]

  # One entry per (function, secret it reads), from local.functions.
  function_secrets = {
    for pair in flatten([
      for name, spec in local.functions : [for secret in spec.secrets : { function = name, secret = secret }]
    ]) : "${pair.function}/${pair.secret}" => pair
  }
}

resource "google_secret_manager_secret" "secret" {
  for_each = toset(local.secret_names)

  secret_id = each.key
  labels    = { app = "planner-google-sync" }

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}

# Read the value of each enabled version ...
resource "google_secret_manager_secret_iam_member" "accessor" {
  for_each = local.function_secrets

  secret_id = google_secret_manager_secret.secret[each.value.secret].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.fn[each.value.function].email}"
}

# ... and list which versions are enabled: the code decrypts with every enabled `token-key`
# version and encrypts with the newest (key rotation), so it calls versions.list, which
# secretAccessor does not include. Viewer on the one secret is metadata only, never a value.
resource "google_secret_manager_secret_iam_member" "version_lister" {
  for_each = local.function_secrets

  secret_id = google_secret_manager_secret.secret[each.value.secret].secret_id
  role      = "roles/secretmanager.viewer"
  member    = "serviceAccount:${google_service_account.fn[each.value.function].email}"
}

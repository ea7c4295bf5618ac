# The functions' source: one zip of what is deployed, named by its hash, so that a change of
# the code is a new object and therefore a new revision of every function, and no change is no
# redeploy. Built from an allow-list (main.py, requirements.txt, the functions package): tests,
# devtools, local settings and caches can never end up in production.

locals {
  repo_root = "${path.module}/.."

  source_files = sort(concat(
    ["main.py", "requirements.txt"],
    [for f in fileset(local.repo_root, "functions/**") : f if length(regexall("(^|/)__pycache__/|\\.pyc$", f)) == 0],
  ))
}

data "archive_file" "source" {
  type             = "zip"
  output_path      = "${path.module}/.build/source.zip"
  output_file_mode = "0644"

  dynamic "source" {
    for_each = local.source_files
    content {
      filename = source.value
      content  = file("${local.repo_root}/${source.value}")
    }
  }
}

resource "google_storage_bucket" "source" {
  name                        = "${var.project_id}-functions-source"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true

  depends_on = [google_project_service.apis]
}

resource "google_storage_bucket_object" "source" {
  name   = "source-${data.archive_file.source.output_sha256}.zip"
  bucket = google_storage_bucket.source.name
  source = data.archive_file.source.output_path
}

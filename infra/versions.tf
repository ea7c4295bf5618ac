# Terraform owns every deployed piece: functions, their identities, Firestore and its backups,
# secrets (without values), the Scheduler job, the queue, the alerts. Cloud Build only runs the
# tests and then `terraform apply`. The providers' exact versions belong in a committed
# .terraform.lock.hcl (docs/deploy.md, step 5, says how to make it).

terraform {
  required_version = ">= 1.5"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.0, < 8.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.4"
    }
  }

  # State lives in a GCS bucket created once by hand (docs/deploy.md, step 4); the bucket is
  # given at init time: terraform init -backend-config="bucket=<state bucket>".
  backend "gcs" {
    prefix = "planner-google-sync"
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}

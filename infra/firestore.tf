# Firestore (Native mode, the "(default)" database the code's client opens).
#
# Indexes and field overrides come from ../firestore.indexes.json (the Firebase CLI's format), so
# there is one list, readable without Terraform, that tests/infra checks against the queries in
# functions/. Today it holds no composite index: every query is on one collection and either
# filters one field (with or without ordering by it) or only combines equality filters, which
# Firestore serves by merging single-field indexes. That includes a resource's appointment
# changes, `seqs.<resource> > cursor` ordered by it: Firestore indexes every map subfield by
# itself (no exemption may switch that off for `seqs`). Its overrides are TTL policies: on
# consent_states.expires_at (single-use OAuth states expire after 10 minutes; the code refuses
# expired ones itself, TTL only removes them, usually within a day), and on channels.delete_at
# (a push channel's document, a day after the channel was stopped or expired; the webhook
# answers a notification for a channel it no longer knows with 200 and nothing else). The
# dispatcher's two backstop queries (`poll_bucket in`, `push_bucket in`) are one field each.

locals {
  firestore = jsondecode(file("${path.module}/../firestore.indexes.json"))
}

resource "google_firestore_database" "main" {
  name                              = "(default)"
  location_id                       = var.firestore_location
  type                              = "FIRESTORE_NATIVE"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = "DELETE_PROTECTION_ENABLED"
  deletion_policy                   = "ABANDON"

  depends_on = [google_project_service.apis]
}

resource "google_firestore_index" "composite" {
  for_each = {
    for index in local.firestore.indexes :
    "${index.collectionGroup}:${join(",", [for f in index.fields : "${f.fieldPath}:${try(f.order, f.arrayConfig)}"])}" => index
  }

  database    = google_firestore_database.main.name
  collection  = each.value.collectionGroup
  query_scope = try(each.value.queryScope, "COLLECTION")

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path   = fields.value.fieldPath
      order        = try(fields.value.order, null)
      array_config = try(fields.value.arrayConfig, null)
    }
  }
}

resource "google_firestore_field" "override" {
  for_each = { for o in local.firestore.fieldOverrides : "${o.collectionGroup}.${o.fieldPath}" => o }

  database   = google_firestore_database.main.name
  collection = each.value.collectionGroup
  field      = each.value.fieldPath

  # An empty ttl_config block turns the TTL policy on for this field.
  dynamic "ttl_config" {
    for_each = try(each.value.ttl, false) ? [1] : []
    content {}
  }

  # The listed single-field indexes replace the inherited ones; none (an empty block) exempts
  # the field from indexing, which Google recommends for TTL timestamps nobody queries.
  index_config {
    dynamic "indexes" {
      for_each = each.value.indexes
      content {
        order        = try(indexes.value.order, null)
        array_config = try(indexes.value.arrayConfig, null)
        query_scope  = try(indexes.value.queryScope, "COLLECTION")
      }
    }
  }
}

# Backups: a daily backup kept var.firestore_backup_retention_days (at most 7, Firestore's limit
# for daily backups) and, if wanted, a weekly one (Sundays) kept up to 14 weeks. Point-in-time
# recovery (above) covers the last 7 days minute by minute; a backup survives a deleted database.
# A backup lives in the database's location and is restored into a database of its own or in
# place (docs/operations.md, "Backups and restore"). The schedules belong to the database: they
# go with it (its backups do not) and the next apply makes them again.
resource "google_firestore_backup_schedule" "daily" {
  database  = google_firestore_database.main.name
  retention = "${var.firestore_backup_retention_days * 86400}s"

  daily_recurrence {}
}

resource "google_firestore_backup_schedule" "weekly" {
  count = var.firestore_weekly_backup_retention_weeks > 0 ? 1 : 0

  database  = google_firestore_database.main.name
  retention = "${var.firestore_weekly_backup_retention_weeks * 7 * 86400}s"

  weekly_recurrence {
    day = "SUNDAY"
  }
}

// admin.html: the link to the sync demo (sync.html) for the branch on show.
const branch = new URLSearchParams(location.search).get("branch") || "berlin";
for (const link of document.querySelectorAll("a[data-sync-link]")) {
  link.href = `sync.html?branch=${encodeURIComponent(branch)}`;
}

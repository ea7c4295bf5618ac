"""Use cases over the ports (Firestore store, Google)."""

"""Thin adapters to Firestore, Google Calendar/OAuth and crypto."""

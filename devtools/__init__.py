"""Local development tools: emulators and the dev server. Never deployed."""

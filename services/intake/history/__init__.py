"""The history importer: years of dossiers from a one-stop system's export, replayed through
intake's own domain code and published as history (docs/history-import.md)."""

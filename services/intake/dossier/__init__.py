"""Dossiers: the state machine, the national dossier code, storage and the HTTP API."""

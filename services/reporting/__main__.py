"""`python -m services.reporting`: run the reporting Faust worker and its web server."""

from motcua.streaming import run_worker
from services.reporting.app import app, settings

run_worker(app, settings, "reporting")

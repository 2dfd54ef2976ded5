"""`python -m services.deadlines`: run the deadlines Faust worker and its web server."""

from motcua.streaming import run_worker
from services.deadlines.app import app, settings

run_worker(app, settings, "deadlines")

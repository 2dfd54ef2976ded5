"""`python -m services.deadlines`: run the deadlines Faust worker and its web server."""

from motcua.streaming import run_worker
from services.deadlines.app import app, checks_topic_name, settings

run_worker(app, settings, "deadlines", internal_topics=[checks_topic_name(settings)])

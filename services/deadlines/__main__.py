"""`python -m services.deadlines`: run the deadlines Faust worker (its figures, /healthz
and /readyz on HTTP_PORT; the officers' pages are `services.deadlines.officers_web`)."""

from motcua.streaming import run_worker
from services.deadlines.app import app, checks_topic_name, settings

run_worker(app, settings, "deadlines", internal_topics=[checks_topic_name(settings)])

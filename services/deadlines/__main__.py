"""`python -m services.deadlines`: run the deadlines Faust worker (its figures, /healthz
and /readyz on HTTP_PORT; the officers' pages are `services.deadlines.officers_web`), and
beside it the outbox relay that publishes issued letters (``OUTBOX_RELAY_ENABLED``) and the
sender of the letters' notices to citizens (``LETTER_NOTICES_ENABLED``)."""

from motcua.outbox import supervise_relay
from motcua.streaming import run_worker
from motcua.supervision import Supervisor
from services.deadlines.app import app, checks_topic_name, settings
from services.deadlines.notices.sender import supervise_notices

loops = Supervisor("deadlines")
supervise_relay(loops, settings, service="deadlines")
supervise_notices(loops, settings)
run_worker(app, settings, "deadlines", internal_topics=[checks_topic_name(settings)], loops=loops)

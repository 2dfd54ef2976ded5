"""`python -m services.deadlines.officers_web`: serve the officers' pages and sign-in."""

from motcua.http import serve
from services.deadlines.settings import DeadlinesSettings

serve("services.deadlines.officers_web:app_from_environment", DeadlinesSettings(), "deadlines")

"""`python -m services.reporting`: run the reporting service."""

from motcua.http import serve
from services.reporting.settings import ReportingSettings

serve("services.reporting.app:app_from_environment", ReportingSettings(), "reporting")

"""`python -m services.ratings`: run the ratings service."""

from motcua.http import serve
from services.ratings.settings import RatingsSettings

serve("services.ratings.app:app_from_environment", RatingsSettings(), "ratings")

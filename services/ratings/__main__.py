"""`python -m services.ratings`: run the ratings service."""

from motcua.http import serve
from services.ratings.app import create_app
from services.ratings.settings import RatingsSettings

settings = RatingsSettings()
serve(create_app(settings), settings, "ratings")

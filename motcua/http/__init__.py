"""HTTP plumbing for the FastAPI services: problem+json errors and the standard endpoints."""

from motcua.http._app import create_service_app
from motcua.http._problems import PROBLEM_JSON, Problem, problem_response
from motcua.http._run import serve

__all__ = ["PROBLEM_JSON", "Problem", "create_service_app", "problem_response", "serve"]

"""HTTP plumbing for the FastAPI services: problem+json errors and the standard endpoints."""

from motcua.http._app import create_service_app
from motcua.http._client import client_address
from motcua.http._problems import PROBLEM_JSON, Problem, problem_response
from motcua.http._responses import SHARED_PROBLEMS, problems
from motcua.http._run import serve
from motcua.http._security import CONTENT_SECURITY_POLICY, SECURITY_HEADERS, SecurityHeaders

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "PROBLEM_JSON",
    "SECURITY_HEADERS",
    "SHARED_PROBLEMS",
    "Problem",
    "SecurityHeaders",
    "client_address",
    "create_service_app",
    "problem_response",
    "problems",
    "serve",
]

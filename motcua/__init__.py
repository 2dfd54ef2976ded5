"""Motcua's shared package: event contracts and the plumbing every service stands on.

Services import from here and never from each other.
"""

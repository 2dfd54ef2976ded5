"""Chaos runs: a province's traffic on a three-broker cluster with two processes of every
service, while brokers, processes and the database are killed; then the platform's
promises checked one by one (``make chaos``; a short run inside ``make test``)."""

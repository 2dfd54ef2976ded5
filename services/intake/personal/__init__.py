"""Applicants' personal data over its life (Luật 91/2025/QH15): retention, anonymisation,
legal holds and data-subject requests. The register is docs/personal-data.md."""

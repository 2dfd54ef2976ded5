"""The transactional outbox and the relay that publishes it to Kafka."""

from services.intake.outbox.relay import OutboxRelay, relay_producer_config

__all__ = ["OutboxRelay", "relay_producer_config"]

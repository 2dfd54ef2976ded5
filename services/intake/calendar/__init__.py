"""Calendar announcements: recorded by an administrator, published through the outbox."""

"""Delivering rating invitations: the channels (SMS gateway, e-mail, Zalo OA, or the local
recording), the contact asked from intake at send time, quiet hours, retries and the
reminder."""

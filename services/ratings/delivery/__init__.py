"""Delivering rating invitations on the shared ``motcua.delivery``: what ratings' messages
say, when the reminder and the follow-up notice go, and its table of deliveries."""

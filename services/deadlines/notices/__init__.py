"""The apology reaches the citizen: each issued letter version's notices on the citizen's
channels, their receipts, the letter's short link and the print batch (docs/deadlines.md).
"""

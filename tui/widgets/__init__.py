"""Widgets the screens share: the answer panel, the transcript, the countdown, and how a grade is drawn."""

"""What a learner keeps: the history of sessions and grades, drafts, disputes, reports and Anki export."""

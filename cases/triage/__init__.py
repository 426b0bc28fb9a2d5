"""The team's work on a case: reading it, the workflow, deadlines, the case list, retention."""

"""What shows the team's work to others: the audit log and its anchors, statistics, figures, referral exports."""

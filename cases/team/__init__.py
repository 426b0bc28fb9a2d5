"""Who may read: accounts, sessions, second factor, login throttle, the signed roster, grants, recusal."""

"""Who may do what: sign-in links, rate limits, API keys, the audit trail, and mail."""

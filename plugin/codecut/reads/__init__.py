"""What people read: balances (one definition), the portal's queries, exports, JSON records."""

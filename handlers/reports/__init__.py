"""Numbers and files offices report upward: the monthly export, its totals, /statistik."""

"""What the user sees of one mapping: Timeloop-style text reports (map.txt, stats.txt)."""

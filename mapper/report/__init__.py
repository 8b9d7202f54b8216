"""What the user sees: Timeloop-style text reports of one mapping (map.txt, stats.txt), and
output directories written all or none, one run's outputs each (:mod:`.outputs`)."""

"""What the user sees: Timeloop-style text reports of one mapping (map.txt, stats.txt), output
directories written all or none, one run's outputs each (:mod:`.outputs`), the metric set of
Sze et al. of one evaluated layer (:mod:`.metrics`), and ``mapper report``'s page: result
directories read back (:mod:`.results`), figures (:mod:`.figures`) and the HTML (:mod:`.page`)."""

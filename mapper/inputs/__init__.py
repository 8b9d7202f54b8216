"""Inputs as a user gives them: files merged Timeloop-style, architecture templates and their
parameters (:mod:`.templates`), and the energy and area tables from the :mod:`energy`
estimators (:mod:`.energy_tables`)."""

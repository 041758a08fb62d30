"""What a subject model sees and how its reply is read: scenarios, conditions, variants, solvers, parsing."""

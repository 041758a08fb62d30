"""Turning a transcript into scores: the acceptance tag, the grader, the judges, their metrics and validation."""

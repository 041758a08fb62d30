"""From Inspect logs to tables and figures: tidy samples, paired statistics, measures, renderers."""

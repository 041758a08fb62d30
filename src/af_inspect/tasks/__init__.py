"""The Inspect tasks: one paired-task builder and one short module per task."""

"""Offline stand-ins for tests and benchmarks: an OpenAI-compatible server, a model organism, a scripted grader."""

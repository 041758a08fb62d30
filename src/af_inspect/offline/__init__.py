"""Offline stand-ins for tests and benchmarks: an OpenAI-compatible server, a model organism, a scripted grader.

`chat` (request and reply types, shared by all), `billing` (tokens, prefix caching), `faults` (the
fault plan), `server` (the chat-completions server), `http_transport` (its threads, and a stop
within a bound), `organism` (the scripted model under test), `scripted_grader` (every judge's
verdict), `cli` (`python -m af_inspect.local_server`).
"""

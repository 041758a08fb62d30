"""The query sets: ours shipped with the package, the public ones fetched from pinned sources, and paraphrases."""

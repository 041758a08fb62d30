"""`python -m af_inspect.local_server`: the stand-in server's command line (see `af_inspect.offline`)."""

from af_inspect.offline.cli import main, run

__all__ = ["main", "run"]

if __name__ == "__main__":
    run()

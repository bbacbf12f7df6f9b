"""Entry point for the Celery worker the reliability tests start in a separate process.

`PLANNER_TEST_TRAVEL=<iso time>` starts the worker's clock there (time-machine, ticking), so a worker can
wake up "two hours later" than the data was planned; pool processes fork from it and share the clock.
"""

import datetime as dt
import os
import sys

if os.environ.get("PLANNER_TEST_TRAVEL"):
    import time_machine

    time_machine.travel(dt.datetime.fromisoformat(os.environ["PLANNER_TEST_TRAVEL"]), tick=True).start()

from celery.__main__ import main  # noqa: E402 — after the clock is set

if __name__ == "__main__":
    sys.argv = ["celery", *sys.argv[1:]]
    sys.exit(main())

"""python -m services.simulator [--host H] [--port P]"""

import logging
import os

from services.simulator.app import create_app
from services.simulator.config import SimulatorConfig
from shared.service import run_service


class _NoRequestLines(logging.Filter):
    """Drops the per-request line of shared.service's middleware (the record carrying `ms`): the
    simulator is a benchmark floor and a test tool, whose own request log is GET /_sim/aws/requests."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not hasattr(record, "ms")


def main() -> None:
    try:
        log_requests = SimulatorConfig.from_env(os.environ).log_requests
    except ValueError:
        log_requests = True  # create_app reports the bad variable
    if not log_requests:
        logging.getLogger("q2api.service").addFilter(_NoRequestLines())
    run_service("simulator", create_app, default_host=lambda s: s.service_host, default_port=lambda s: s.simulator_port)


if __name__ == "__main__":
    main()

"""python -m services.simulator [--host H] [--port P]"""

from services.simulator.app import create_app
from shared.service import run_service


def main() -> None:
    run_service("simulator", create_app, default_host=lambda s: s.service_host, default_port=lambda s: s.simulator_port)


if __name__ == "__main__":
    main()

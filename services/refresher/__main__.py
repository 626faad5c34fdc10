"""python -m services.refresher [--host H] [--port P]"""

from services.refresher.app import create_app
from shared.service import run_service


def main() -> None:
    run_service("refresher", create_app, default_host=lambda s: s.service_host, default_port=lambda s: s.refresher_port)


if __name__ == "__main__":
    main()

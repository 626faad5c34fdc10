"""python -m services.edge [--host H] [--port P]"""

from services.edge.app import create_app
from shared.service import run_service


def main() -> None:
    run_service("edge", create_app, default_host=lambda s: s.host, default_port=lambda s: s.port)


if __name__ == "__main__":
    main()

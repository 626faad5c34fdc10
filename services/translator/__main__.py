"""python -m services.translator [--host H] [--port P]"""

from services.translator.app import create_app
from shared.service import run_service


def main() -> None:
    run_service("translator", create_app, default_host=lambda s: s.service_host, default_port=lambda s: s.translator_port)


if __name__ == "__main__":
    main()

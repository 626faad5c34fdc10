"""python -m services.accounts [--host H] [--port P]"""

from services.accounts.app import create_app
from shared.service import run_service


def main() -> None:
    run_service("accounts", create_app, default_host=lambda s: s.service_host, default_port=lambda s: s.accounts_port)


if __name__ == "__main__":
    main()

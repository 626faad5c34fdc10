"""Every q2api setting, read once from the environment into one typed, frozen object.

Each setting is declared once below with its environment name, type, default and a sentence of help;
the README's settings table is generated from these declarations (`python -m shared.settings
--markdown`), and a test keeps the two in sync. A bad value fails at start-up with a message that
names the variable and says what it accepts.

Seed names users already know are kept where they fit (`PORT`, `DATABASE_URL`, `OPENAI_KEYS`,
`ADMIN_PASSWORD`, `ENABLE_CONSOLE`, `MAX_ERROR_COUNT`, `HTTP_PROXY`, `TOKEN_COUNT_MULTIPLIER`,
`LAZY_ACCOUNT_POOL_*`, `AMAZONQ_API_ENDPOINT`).
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

_TRUE = {"1", "true", "yes", "on", "enabled"}
_FALSE = {"0", "false", "no", "off", "disabled", ""}


class SettingsError(ValueError):
    """A setting has a value q2api cannot use; the message names the variable."""


# ---------------------------------------------------------------- parsers (text -> typed value)


def _parse_str(raw: str) -> str:
    return raw.strip()


def _parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError("expected true/false (also accepted: 1/0, yes/no, on/off)")


def _int_parser(minimum: int | None = None, maximum: int | None = None) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError(_range_text("an integer", minimum, maximum)) from None
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise ValueError(_range_text("an integer", minimum, maximum))
        return value

    return parse


def _float_parser(minimum: float | None = None, maximum: float | None = None) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValueError(_range_text("a number", minimum, maximum)) from None
        if value != value or (minimum is not None and value < minimum) or (
            maximum is not None and value > maximum
        ):
            raise ValueError(_range_text("a number", minimum, maximum))
        return value

    return parse


def _range_text(kind: str, minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f"expected {kind} from {minimum} to {maximum}"
    if minimum is not None:
        return f"expected {kind} of at least {minimum}"
    if maximum is not None:
        return f"expected {kind} of at most {maximum}"
    return f"expected {kind}"


def _choice_parser(*choices: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in choices:
            raise ValueError("expected one of: " + ", ".join(choices))
        return value

    return parse


def _parse_csv(raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _url_parser(*schemes: str, allow_empty: bool = False, placeholder: bool = False) -> Callable[[str], str]:
    """A URL with one of `schemes`; `{region}` may stand in the host where the upstream is regional."""

    def parse(raw: str) -> str:
        value = raw.strip()
        if not value and allow_empty:
            return ""
        probe = value.replace("{region}", "region") if placeholder else value
        parts = urlsplit(probe)
        if parts.scheme not in schemes or not parts.netloc:
            raise ValueError("expected a URL starting with " + " or ".join(f"{s}://" for s in schemes))
        if "{" in probe or "}" in probe:
            raise ValueError("the only placeholder accepted is {region}" if placeholder else "placeholders are not accepted here")
        return value

    return parse


def _parse_database_url(raw: str) -> str:
    value = raw.strip()
    if not value:
        return ""
    scheme = urlsplit(value).scheme
    if scheme not in ("sqlite", "postgres", "postgresql"):
        raise ValueError(
            "expected empty (SQLite file under DATA_DIR), sqlite:///path/to/file.sqlite3, "
            "or postgresql://user:password@host:port/database"
        )
    return value


def _parse_model_map(raw: str) -> tuple[tuple[str, str], ...]:
    """`name=target,name2=target2` pairs, in order."""
    pairs = []
    for item in _parse_csv(raw):
        name, sep, target = item.partition("=")
        if not sep or not name.strip() or not target.strip():
            raise ValueError("expected comma-separated name=target pairs, e.g. claude-opus-4-1=claude-opus-4.5")
        pairs.append((name.strip(), target.strip()))
    return tuple(pairs)


# ---------------------------------------------------------------- declarations


def setting(
    env: str,
    default: str,
    help: str,
    parse: Callable[[str], Any] = _parse_str,
    *,
    group: str = "General",
    secret: bool = False,
) -> Any:
    """Declare one setting: its variable name, default (as the text a user would write), and help."""
    return field(
        metadata={"env": env, "default": default, "help": help, "parse": parse, "group": group, "secret": secret}
    )


@dataclass(frozen=True)
class Settings:
    # -- serving
    host: str = setting("HOST", "127.0.0.1", "Address edge listens on (0.0.0.0 to accept remote clients).", group="Serving")
    port: int = setting("PORT", "8000", "Port of the public API (edge).", _int_parser(1, 65535), group="Serving")
    service_host: str = setting(
        "SERVICE_HOST", "127.0.0.1", "Address the internal services (accounts, refresher, translator) listen on.", group="Serving"
    )
    accounts_port: int = setting("ACCOUNTS_PORT", "8001", "Port of the accounts service (admin API).", _int_parser(1, 65535), group="Serving")
    refresher_port: int = setting("REFRESHER_PORT", "8002", "Port of the refresher service.", _int_parser(1, 65535), group="Serving")
    translator_port: int = setting(
        "TRANSLATOR_PORT", "8010", "Port of the first translator; `q2api up` gives further translators free ports.", _int_parser(1, 65535), group="Serving"
    )
    simulator_port: int = setting("SIMULATOR_PORT", "8090", "Port of the upstream simulator (`make demo`, tests).", _int_parser(1, 65535), group="Serving")
    accounts_url: str = setting(
        "ACCOUNTS_URL", "", "Base URL edge uses to reach accounts; empty means http://SERVICE_HOST:ACCOUNTS_PORT.", _url_parser("http", "https", allow_empty=True), group="Serving"
    )
    refresher_url: str = setting(
        "REFRESHER_URL", "", "Base URL accounts uses to reach the refresher; empty means http://SERVICE_HOST:REFRESHER_PORT.", _url_parser("http", "https", allow_empty=True), group="Serving"
    )
    advertise_host: str = setting(
        "ADVERTISE_HOST", "", "Host name a translator registers for edge to reach it; empty means its bind address (or the machine's host name when bound to 0.0.0.0).", group="Serving"
    )
    max_body_bytes: int = setting(
        "MAX_BODY_BYTES", "33554432", "Largest request body edge accepts (bytes); larger gets 413. Anthropic's own limit is 32 MB.", _int_parser(1024), group="Serving"
    )
    shutdown_timeout: float = setting(
        "SHUTDOWN_TIMEOUT", "30", "Seconds a service waits for in-flight requests and streams on SIGTERM.", _float_parser(0), group="Serving"
    )
    enable_console: bool = setting("ENABLE_CONSOLE", "true", "Serve the admin console and the admin/seed routes (`/admin/api`, `/v2/*`, `/api/login`).", _parse_bool, group="Serving")
    log_level: str = setting("LOG_LEVEL", "info", "Log level of every service.", _choice_parser("debug", "info", "warning", "error"), group="Serving")

    # -- state
    redis_url: str = setting(
        "REDIS_URL", "", "Redis for hot state. Empty: `q2api up` starts a private redis-server with its data under DATA_DIR/redis.", _url_parser("redis", "rediss", "unix", allow_empty=True), group="State"
    )
    database_url: str = setting(
        "DATABASE_URL", "", "Store of record. Empty: a SQLite file DATA_DIR/q2api.sqlite3; or postgresql://user:pass@host:5432/db.", _parse_database_url, group="State"
    )
    data_dir: str = setting("DATA_DIR", "./data", "Directory for the SQLite file, the private Redis and generated keys.", group="State")
    credentials_key: str = setting(
        "CREDENTIALS_KEY", "", "Key that encrypts account credentials at rest (base64 of 32 bytes). Empty: generated once in DATA_DIR/credentials.key (mode 0600).", group="State", secret=True
    )

    # -- security
    internal_token: str = setting(
        "INTERNAL_TOKEN", "", "Shared secret the services use to trust each other. `q2api up` generates one when empty; set it in multi-host deployments.", group="Security", secret=True
    )
    openai_keys: tuple[str, ...] = setting(
        "OPENAI_KEYS", "", "Comma-separated client API keys accepted besides keys created in the admin API (seed behaviour). With neither, the API is open.", _parse_csv, group="Security", secret=True
    )
    admin_password: str = setting(
        "ADMIN_PASSWORD", "", "Admin password. Empty: one is generated on first start, printed once, and stored hashed.", group="Security", secret=True
    )

    # -- upstreams
    amazonq_api_endpoint: str = setting(
        "AMAZONQ_API_ENDPOINT", "https://q.us-east-1.amazonaws.com/", "Amazon Q (CodeWhisperer streaming) base URL; `{region}` is replaced by the account's region.", _url_parser("http", "https", placeholder=True), group="Upstreams"
    )
    amazonq_oidc_endpoint: str = setting(
        "AMAZONQ_OIDC_ENDPOINT", "https://oidc.us-east-1.amazonaws.com", "AWS SSO-OIDC base URL (token refresh, device login); `{region}` allowed.", _url_parser("http", "https", placeholder=True), group="Upstreams"
    )
    gemini_code_assist_endpoint: str = setting(
        "GEMINI_CODE_ASSIST_ENDPOINT", "https://cloudcode-pa.googleapis.com", "Gemini Code Assist (v1internal) base URL.", _url_parser("http", "https"), group="Upstreams"
    )
    google_oauth_endpoint: str = setting(
        "GOOGLE_OAUTH_ENDPOINT", "https://oauth2.googleapis.com", "Google OAuth token endpoint base URL.", _url_parser("http", "https"), group="Upstreams"
    )
    gemini_api_endpoint: str = setting(
        "GEMINI_API_ENDPOINT", "https://generativelanguage.googleapis.com", "Gemini API (API keys) base URL.", _url_parser("http", "https"), group="Upstreams"
    )
    http_proxy: str = setting(
        "HTTP_PROXY", "", "Proxy for every upstream call (accounts may set their own).", _url_parser("http", "https", "socks5", allow_empty=True), group="Upstreams"
    )

    upstream_connect_timeout: float = setting(
        "UPSTREAM_CONNECT_TIMEOUT", "10", "Seconds to connect to an upstream.", _float_parser(0.1), group="Upstreams"
    )
    upstream_first_byte_timeout: float = setting(
        "UPSTREAM_FIRST_BYTE_TIMEOUT", "120", "Seconds an upstream may take to start answering.", _float_parser(0.1), group="Upstreams"
    )
    upstream_idle_timeout: float = setting(
        "UPSTREAM_IDLE_TIMEOUT", "300", "Seconds an upstream stream may stay silent before it is treated as broken.", _float_parser(0.1), group="Upstreams"
    )

    refresh_lead_time: float = setting(
        "REFRESH_LEAD_TIME", "300", "Seconds before expiry an access token is refreshed (jittered so a large pool does not refresh at once).", _float_parser(0), group="Upstreams"
    )
    aws_start_url: str = setting(
        "AWS_START_URL", "https://view.awsapps.com/start", "Start URL for Builder ID device login (IAM Identity Center logins pass their own).", _url_parser("http", "https"), group="Upstreams"
    )
    google_oauth_client_id: str = setting(
        "GOOGLE_OAUTH_CLIENT_ID", "", "OAuth client id for Gemini Code Assist logins (q2api ships none; create one in Google Cloud).", group="Upstreams"
    )
    google_oauth_client_secret: str = setting(
        "GOOGLE_OAUTH_CLIENT_SECRET", "", "OAuth client secret for Gemini Code Assist logins.", group="Upstreams", secret=True
    )
    google_oauth_authorize_url: str = setting(
        "GOOGLE_OAUTH_AUTHORIZE_URL", "https://accounts.google.com/o/oauth2/v2/auth", "Google's consent page for Gemini Code Assist logins.", _url_parser("http", "https"), group="Upstreams"
    )

    # -- accounts pool
    max_error_count: int = setting(
        "MAX_ERROR_COUNT", "100", "Consecutive upstream errors after which an account is disabled (seed semantics).", _int_parser(1), group="Pool"
    )
    lazy_account_pool_enabled: bool = setting(
        "LAZY_ACCOUNT_POOL_ENABLED", "false", "Seed lazy pool: serve only from the first LAZY_ACCOUNT_POOL_SIZE accounts in the configured order.", _parse_bool, group="Pool"
    )
    lazy_account_pool_size: int = setting("LAZY_ACCOUNT_POOL_SIZE", "20", "Accounts in the lazy pool.", _int_parser(1), group="Pool")
    lazy_account_pool_refresh_offset: int = setting(
        "LAZY_ACCOUNT_POOL_REFRESH_OFFSET", "10", "Extra accounts beyond the lazy pool kept refreshed as stand-bys.", _int_parser(0), group="Pool"
    )
    lazy_account_pool_order_by: str = setting(
        "LAZY_ACCOUNT_POOL_ORDER_BY", "created_at", "Order of the lazy pool.", _choice_parser("created_at", "id", "success_count"), group="Pool"
    )
    lazy_account_pool_order_desc: bool = setting("LAZY_ACCOUNT_POOL_ORDER_DESC", "false", "Descending lazy-pool order.", _parse_bool, group="Pool")

    pool_strategy: str = setting(
        "POOL_STRATEGY", "random", "How an account is picked: random (seed default), round_robin or least_inflight. LAZY_ACCOUNT_POOL_ENABLED overrides it with the seed's lazy pool.", _choice_parser("random", "round_robin", "least_inflight"), group="Pool"
    )
    account_max_concurrency: int = setting(
        "ACCOUNT_MAX_CONCURRENCY", "8", "Concurrent requests per account when the account sets none.", _int_parser(1), group="Pool"
    )
    lease_ttl: float = setting(
        "LEASE_TTL", "120", "Seconds a lease lives without a heartbeat; a crashed holder's lease is reaped after it.", _float_parser(5), group="Pool"
    )
    session_affinity_ttl: float = setting(
        "SESSION_AFFINITY_TTL", "3600", "Seconds a client session (x-claude-code-session-id or x-session-id) sticks to its account; 0 turns affinity off.", _float_parser(0), group="Pool"
    )
    cooldown_base: float = setting(
        "COOLDOWN_BASE", "2", "First cooldown (s) of a throttled account that got no Retry-After; doubles per repeat.", _float_parser(0.1), group="Pool"
    )
    cooldown_max: float = setting("COOLDOWN_MAX", "300", "Longest cooldown (s) without a Retry-After.", _float_parser(1), group="Pool")
    failover_attempts: int = setting(
        "FAILOVER_ATTEMPTS", "3", "Accounts tried for one request before the client sees the error.", _int_parser(1, 20), group="Pool"
    )
    failover_max_wait: float = setting(
        "FAILOVER_MAX_WAIT", "15", "Longest total time (s) edge spends failing over before answering.", _float_parser(0), group="Pool"
    )

    # -- translation
    token_count_multiplier: float = setting(
        "TOKEN_COUNT_MULTIPLIER", "1.0", "Calibration factor applied to counted input tokens (seed behaviour); output tokens are never scaled.", _float_parser(0.01, 100), group="Translation"
    )
    model_map: tuple[tuple[str, str], ...] = setting(
        "MODEL_MAP", "", "Extra client-model → upstream-model pairs checked before the built-in table, e.g. `claude-opus-4-1=claude-opus-4.5`.", _parse_model_map, group="Translation"
    )
    context_window: int = setting(
        "CONTEXT_WINDOW", "200000", "Largest counted input (tokens) sent upstream; above it the client gets `prompt is too long` without an upstream call.", _int_parser(1000), group="Translation"
    )
    default_max_tokens: int = setting(
        "DEFAULT_MAX_TOKENS", "8192", "max_tokens for OpenAI requests that set none.", _int_parser(1), group="Translation"
    )
    amazonq_origin: str = setting(
        "AMAZONQ_ORIGIN", "KIRO_CLI", "`origin` sent on Amazon Q user messages (seed q2api: KIRO_CLI; the Q CLI sends CLI).", group="Translation"
    )
    eventstream_max_frame_bytes: int = setting(
        "EVENTSTREAM_MAX_FRAME_BYTES", "16777216", "Largest upstream event-stream frame accepted before it is rejected as corrupt.", _int_parser(1024), group="Translation"
    )

    @property
    def accounts_base_url(self) -> str:
        return self.accounts_url or f"http://{self.service_host}:{self.accounts_port}"

    @property
    def refresher_base_url(self) -> str:
        return self.refresher_url or f"http://{self.service_host}:{self.refresher_port}"


def _fields() -> tuple[dataclasses.Field, ...]:
    return dataclasses.fields(Settings)


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Read every setting from `environ` (default: os.environ). Raises SettingsError naming each bad variable."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    problems: list[str] = []
    for f in _fields():
        meta = f.metadata
        raw = env.get(meta["env"], meta["default"])
        try:
            values[f.name] = meta["parse"](raw)
        except ValueError as exc:
            shown = "<hidden>" if meta["secret"] else repr(raw)
            problems.append(f"{meta['env']}={shown}: {exc}")
    if problems:
        raise SettingsError("invalid settings:\n  " + "\n  ".join(problems))
    values.update(overrides)
    return Settings(**values)


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that reproduces `settings` in a child process."""
    env: dict[str, str] = {}
    for f in _fields():
        value = getattr(settings, f.name)
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, tuple):
            text = ",".join("=".join(v) if isinstance(v, tuple) else v for v in value)
        else:
            text = str(value)
        env[f.metadata["env"]] = text
    return env


def env_names() -> set[str]:
    return {f.metadata["env"] for f in _fields()}


def settings_markdown() -> str:
    """The README's settings table, generated from the declarations above."""
    lines = ["| variable | default | what it does |", "|---|---|---|"]
    group = None
    for f in _fields():
        meta = f.metadata
        if meta["group"] != group:
            group = meta["group"]
            lines.append(f"| **{group}** | | |")
        default = f"`{meta['default']}`" if meta["default"] else "*(empty)*"
        text = meta["help"].replace("|", "\\|")
        lines.append(f"| `{meta['env']}` | {default} | {text} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--markdown"]:
        sys.stdout.write(settings_markdown())
        return 0
    if args == ["--check"]:
        try:
            load_settings()
        except SettingsError as exc:
            print(exc, file=sys.stderr)
            return 2
        print("settings ok")
        return 0
    print("usage: python -m shared.settings --markdown | --check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())

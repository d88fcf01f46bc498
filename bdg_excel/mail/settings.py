"""Mail settings: the SMTP/IMAP server from the command line or the workspace's
bdg-excel.toml, passwords only from the environment, the office's contact details and
the units' addresses."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import getaddresses, parseaddr
from typing import TYPE_CHECKING, Callable

from ..core import vn
from ..core.errors import UsageError
from ..plan.model import Unit

if TYPE_CHECKING:
    import ssl

SMTP_PASSWORD_ENV = "BDG_SMTP_PASSWORD"
IMAP_PASSWORD_ENV = "BDG_IMAP_PASSWORD"
SECURITY = ("starttls", "ssl", "none")
TIMEOUT = 30.0                       # seconds, for every network operation
RETURN_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")

Progress = Callable[[int, int], None]

# Outcomes of one unit.
SENT, DRAFTED, FAILED, NO_ADDRESS = "sent", "drafted", "failed", "no_address"
OUTCOME_LABELS = {SENT: "Đã gửi", DRAFTED: "Đã ghi thư nháp", FAILED: "Không gửi được",
                  NO_ADDRESS: "Chưa có địa chỉ thư"}

_EMAIL = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+")



# -- settings ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Office:
    """Who sends: the coordinating office ([office] in bdg-excel.toml)."""
    name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class ServerSettings:
    host: str
    port: int
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    security: str = "starttls"        # starttls | ssl | none
    cafile: str | None = None         # extra trusted certificate(s), e.g. a self-signed server
    timeout: float = TIMEOUT

    def ssl_context(self) -> ssl.SSLContext:
        import ssl      # only when connecting: `status` reads addresses from here

        ctx = ssl.create_default_context()
        if self.cafile:
            ctx.load_verify_locations(cafile=self.cafile)
        return ctx

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def office_of(config: dict) -> Office:
    sec = _section(config, "office")
    return Office(_opt(sec.get("name")), _opt(sec.get("email")), _opt(sec.get("phone")))


def smtp_settings(config: dict, *, host: str | None = None, port: int | None = None,
                  user: str | None = None, security: str | None = None,
                  env: dict | None = None) -> ServerSettings:
    """SMTP settings: command-line values over [smtp] of bdg-excel.toml; the password from
    the environment variable BDG_SMTP_PASSWORD only."""
    return _server(config, "smtp", SMTP_PASSWORD_ENV, {"ssl": 465, "starttls": 587, "none": 25},
                   host, port, user, security, env)


def imap_settings(config: dict, *, host: str | None = None, port: int | None = None,
                  user: str | None = None, security: str | None = None,
                  env: dict | None = None) -> ServerSettings:
    """IMAP settings: command-line values over [imap] of bdg-excel.toml; the password from
    the environment variable BDG_IMAP_PASSWORD only."""
    return _server(config, "imap", IMAP_PASSWORD_ENV, {"ssl": 993, "starttls": 143, "none": 143},
                   host, port, user, security, env)


def sender_address(config: dict, settings: ServerSettings | None = None, *,
                   given: str | None = None, required: bool = True) -> str | None:
    """The From address: ``given`` (--from), else [smtp] from, else [office] email, else the
    SMTP login if it is an address. None when there is none and not ``required`` (drafts:
    the officer's mail program fills it in)."""
    if given is not None:
        if not _EMAIL.fullmatch(parseaddr(given)[1] or ""):
            raise UsageError(f"--from “{given}” không phải địa chỉ thư (ví dụ: "
                             "vanhoaxahoi@binhlu.gov.vn).")
        return given.strip()
    for value in (_section(config, "smtp").get("from"), office_of(config).email,
                  settings.user if settings else None):
        if value and _EMAIL.fullmatch(parseaddr(str(value))[1] or ""):
            return str(value).strip()
    if not required:
        return None
    raise UsageError(NO_SENDER)


NO_SENDER = ("Chưa có địa chỉ người gửi: dùng --from ĐỊA_CHỈ, hoặc ghi email = \"…\" trong "
             "mục [office] của tệp bdg-excel.toml trong thư mục làm việc (bdg-excel init đã tạo "
             "tệp này, có lời giải thích từng dòng).")


def _server(config, name, env_name, default_ports, host, port, user, security, env):
    sec = _section(config, name)
    host = host or _opt(sec.get("host"))
    if not host:
        raise UsageError(f"Chưa có máy chủ thư: dùng --{name}-host MÁY_CHỦ, hoặc ghi host = \"…\" "
                         f"trong mục [{name}] của tệp bdg-excel.toml.")
    if security is None:
        security = _opt(sec.get("security"))
        if security is None and sec.get("ssl") is True:
            security = "ssl"
        elif security is None and sec.get("starttls") is False:
            security = "none"
    if security is not None and security not in SECURITY:
        raise UsageError(f"security = \"{security}\" trong mục [{name}] không hợp lệ: ghi "
                         "starttls, ssl hoặc none.")
    raw_port = port or sec.get("port")
    if security is None:
        security = "ssl" if raw_port in (465, 993) else "starttls"
    try:
        port = int(raw_port) if raw_port else default_ports[security]
    except (TypeError, ValueError):
        raise UsageError(f"port = \"{raw_port}\" trong mục [{name}] không phải là số.") from None
    env = os.environ if env is None else env
    return ServerSettings(host=host, port=port, user=user or _opt(sec.get("user")),
                          password=env.get(env_name) or None, security=security,
                          cafile=_opt(sec.get("cafile")))


def _section(config: dict, name: str) -> dict:
    sec = config.get(name) or {}
    if not isinstance(sec, dict):
        raise UsageError(f"Mục [{name}] của tệp bdg-excel.toml không đúng dạng.")
    secret = next((k for k in sec if "pass" in k.lower() or "secret" in k.lower()), None)
    if secret:
        env = IMAP_PASSWORD_ENV if name == "imap" else SMTP_PASSWORD_ENV
        raise UsageError(f"Tệp bdg-excel.toml có khóa mật khẩu “{secret}” trong mục [{name}]: "
                         "không ghi mật khẩu vào tệp. Xóa dòng đó (và đổi mật khẩu nếu tệp đã "
                         f"được chia sẻ), rồi đặt mật khẩu vào biến môi trường {env}.")
    return sec


def _opt(value) -> str | None:
    if value is None:
        return None
    text = vn.clean(str(value))
    return text or None


def is_address(text: str) -> bool:
    return bool(_EMAIL.fullmatch(parseaddr(text or "")[1] or ""))


def unit_addresses(unit: Unit) -> list[str]:
    """The unit's addresses from the plan ("a@x.vn; b@x.vn" -> two)."""
    if not unit.email:
        return []
    return [a for _, a in getaddresses(re.split(r"[;,]", unit.email)) if _EMAIL.fullmatch(a)]


# -- helpers shared by sending and fetching ------------------------------------------
def _iso(when: datetime | None) -> str:
    if when is None:
        from ..core import clock
        when = clock.now()
    if when.tzinfo is not None:
        when = when.astimezone().replace(tzinfo=None)
    return when.replace(microsecond=0).isoformat()


def _quietly(fn) -> None:
    try:
        fn()
    except Exception:  # noqa: BLE001 - closing a broken connection
        pass


def _connect_message(what: str, s: ServerSettings, exc: BaseException) -> str:
    import socket

    if isinstance(exc, ConnectionRefusedError):
        why = "máy chủ từ chối kết nối"
    elif isinstance(exc, (socket.timeout, TimeoutError)):
        why = f"không có trả lời sau {s.timeout:.0f} giây"
    elif isinstance(exc, socket.gaierror):
        why = "không tìm thấy tên máy chủ"
    else:
        why = str(exc) or type(exc).__name__
    return (f"Không kết nối được {what} {s.where} ({why}). Kiểm tra tên máy chủ, cổng, cách "
            "kết nối (--starttls/--ssl) và kết nối mạng, rồi chạy lại lệnh.")

"""The workspace's configuration file bdg-excel.toml: the commented template ``init``
writes (read by :meth:`Workspace.config` with tomllib, interpreted by
:mod:`bdg_excel.mail.settings`). Passwords never go in it: they come from the environment
variables BDG_SMTP_PASSWORD and BDG_IMAP_PASSWORD."""

from __future__ import annotations

import json
from pathlib import Path

from . import vn


def template(office_name: str | None = None, email: str | None = None) -> str:
    """The commented bdg-excel.toml (Vietnamese comments; the keys are what the code reads)."""
    name_line = (f"name = {json.dumps(vn.nfc(office_name), ensure_ascii=False)}"
                 if office_name else '# name = "Phòng Văn hóa – Xã hội, UBND xã Bình Lư"')
    email_line = (f"email = {json.dumps(email, ensure_ascii=False)}" if email
                  else '# email = "vanhoaxahoi@binhlu.gov.vn"')
    return f"""# Cấu hình của thư mục làm việc bdg-excel (tệp văn bản, sửa bằng Notepad hoặc bất kỳ
# trình soạn thảo nào). Dòng bắt đầu bằng # là lời giải thích, không có tác dụng: xóa dấu #
# ở đầu dòng để dùng dòng đó. Giá trị chữ đặt trong dấu ngoặc kép.
# KHÔNG ghi mật khẩu vào tệp này: mật khẩu thư đặt trong biến môi trường BDG_SMTP_PASSWORD
# (gửi thư) và BDG_IMAP_PASSWORD (nhận thư).

[office]
# Cơ quan đầu mối (người gửi biểu và nhận báo cáo).
# name: tên cơ quan, ghi ở cuối thư gửi đơn vị.
{name_line}
# email: địa chỉ thư của cơ quan. Là người gửi (From) của thư gửi biểu và thư nhắc, và là
# địa chỉ đơn vị trả lời về. Có thể thay bằng tùy chọn --from ĐỊA_CHỈ khi chạy lệnh.
{email_line}
# phone: số điện thoại liên hệ, ghi trong thư.
# phone = "0213 3xxx xxx"

[smtp]
# Máy chủ gửi thư (hỏi bộ phận quản trị thư điện tử của cơ quan).
# host: tên máy chủ; có thể thay bằng --smtp-host khi chạy lệnh.
# host = "mail.binhlu.gov.vn"
# port: cổng; 587 khi security = "starttls", 465 khi security = "ssl".
# port = 587
# security: cách mã hóa kết nối: "starttls" (thường dùng), "ssl", hoặc "none" (chỉ máy chủ nội bộ).
# security = "starttls"
# user: tài khoản đăng nhập máy chủ thư (mật khẩu: biến môi trường BDG_SMTP_PASSWORD).
# user = "vanhoaxahoi@binhlu.gov.vn"
# from: địa chỉ người gửi, nếu khác email của cơ quan ở trên.
# from = "vanhoaxahoi@binhlu.gov.vn"

[imap]
# Hộp thư nhận các biểu đơn vị gửi lại (lệnh bdg-excel fetch).
# host = "mail.binhlu.gov.vn"
# port = 993
# security = "ssl"
# user = "vanhoaxahoi@binhlu.gov.vn"
# folder: thư mục trong hộp thư, mặc định INBOX.
# folder = "INBOX"
"""


def write_template(path: Path, office_name: str | None = None,
                   email: str | None = None) -> bool:
    """Write the template at ``path`` unless a configuration is already there (never
    overwritten). Returns whether it was written."""
    path = Path(path)
    if path.exists():
        return False
    from .workspace import atomic_output

    with atomic_output(path) as tmp:
        tmp.write_text(template(office_name, email), encoding="utf-8")
    return True

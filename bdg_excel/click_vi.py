"""Click in Vietnamese: a translation catalogue for the messages click itself writes
("Usage:", "Show this message and exit.", "Missing option", "No such command" …) and the
command classes that give usage lines and metavars Vietnamese words.

Click translates its messages with :func:`gettext.gettext` and :func:`gettext.ngettext`,
imported into each of its modules; :func:`install` binds those names to a
:class:`gettext.NullTranslations` holding :data:`CATALOGUE`, whatever the machine's locale
(an officer's Windows is rarely set to Vietnamese, and tests must not depend on it).
``tests/test_cli_vietnamese.py`` checks that every message of the installed click is in the
catalogue and that no English reaches ``--help`` or a usage error of any command.

Commands and groups made with ``@cli.command`` / ``@group.group`` get :class:`VnCommand`
and :class:`VnGroup` automatically (``command_class`` / ``group_class``), so commands added
later are covered without doing anything.
"""

from __future__ import annotations

import gettext
import importlib

import click

# msgid -> Vietnamese. Placeholders ({name}, %(prog)s …) are click's and kept as they are.
CATALOGUE: dict[str, str] = {
    # help pages
    "Usage:": "Cách dùng:",
    "Options": "Tùy chọn",
    "Commands": "Lệnh",
    "Positional arguments": "Tham số",
    "Show this message and exit.": "Xem hướng dẫn này rồi thoát.",
    "Show the version and exit.": "Xem phiên bản rồi thoát.",
    "%(prog)s, version %(version)s": "%(prog)s, phiên bản %(version)s",
    "default: {default}": "mặc định: {default}",
    "env var: {var}": "biến môi trường: {var}",
    "required": "bắt buộc",
    "(dynamic)": "(tùy lúc chạy)",
    "deprecated": "không còn dùng",
    "Confirm the action without prompting.": "Xác nhận luôn, không hỏi lại.",
    "Do you want to continue?": "Tiếp tục?",
    "Choose from:\n\t{choices}": "Chọn một trong:\n\t{choices}",
    "Choice({choices})": "Chọn({choices})",
    "file": "tệp",
    "directory": "thư mục",
    "path": "đường dẫn",
    # usage errors
    "Error: {message}": "Lỗi: {message}",
    "Try '{command} {option}' for help.": "Xem hướng dẫn bằng lệnh: {command} {option}",
    "Missing command.": "Thiếu tên lệnh.",
    "No such command {name!r}.": "Không có lệnh “{name}”.",
    "No such option {name!r}.": "Không có tùy chọn “{name}”.",
    "Missing argument": "Thiếu tham số",
    "Missing option": "Thiếu tùy chọn",
    "Missing parameter": "Thiếu giá trị",
    "Missing parameter: {param_name}": "Thiếu giá trị: {param_name}",
    "Missing {param_type}": "Thiếu {param_type}",
    "Invalid value for {param_hint}: {message}": "Giá trị không hợp lệ cho {param_hint}: {message}",
    "Invalid value: {message}": "Giá trị không hợp lệ: {message}",
    "unknown error": "lỗi không rõ",
    "Could not open file {filename!r}: {message}": "Không mở được tệp {filename!r}: {message}",
    "Value must be an iterable.": "Giá trị phải là một danh sách.",
    "Invalid start character for option ({option})":
        "Ký tự đầu của tùy chọn không hợp lệ ({option})",
    "Option {name!r} does not take a value.": "Tùy chọn {name} không nhận giá trị.",
    "Argument {name!r} takes {nargs} values.": "Tham số {name} cần {nargs} giá trị.",
    "{value} is not in the range {range}.": "{value} nằm ngoài khoảng {range}.",
    "{value!r} is not a valid boolean. Recognized values: {states}":
        "“{value}” không phải giá trị đúng/sai. Ghi một trong: {states}",
    "{value!r} is not a valid {number_type}.": "“{value}” không phải {number_type} hợp lệ.",
    "{value!r} is not a valid UUID.": "“{value}” không phải mã UUID hợp lệ.",
    "{name} {filename!r} is a file.": "{name} “{filename}” là một tệp, cần một thư mục.",
    "{name} {filename!r} is a directory.": "{name} “{filename}” là một thư mục, cần một tệp.",
    "{name} {filename!r} is not readable.": "Không đọc được {name} “{filename}”.",
    "{name} {filename!r} is not writable.": "Không ghi được vào {name} “{filename}”.",
    "{name} {filename!r} is not executable.": "Không chạy được {name} “{filename}”.",
    "{name} {filename!r} does not exist.": "Không có {name} “{filename}”.",
    "Aborted!": "Đã hủy.",
    "Windows error: {error}": "Lỗi Windows: {error}",
    "Press any key to continue...": "Nhấn một phím bất kỳ để tiếp tục…",
    "Repeat for confirmation": "Nhập lại để xác nhận",
    "Error: The two entered values do not match.": "Lỗi: hai giá trị đã nhập không giống nhau.",
    "Error: invalid input": "Lỗi: giá trị nhập không hợp lệ",
    "Unknown color {colour!r}": "Không có màu {colour!r}",
    "Unknown standard stream '{name}'": "Không có luồng chuẩn “{name}”",
    "{editor}: Editing failed": "{editor}: không sửa được",
    "{editor}: Editing failed: {e}": "{editor}: không sửa được: {e}",
    "Couldn't detect Bash version, shell completion is not supported.":
        "Không xác định được phiên bản Bash; không hỗ trợ tự hoàn thành lệnh.",
    "Shell completion is not supported for Bash versions older than 4.4.":
        "Không hỗ trợ tự hoàn thành lệnh với Bash cũ hơn 4.4.",
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}":
        "Cảnh báo: lệnh {name!r} không còn được dùng.{extra_message}",
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}":
        "Cảnh báo: {param_type} {name!r} không còn được dùng.{extra_message}",
    # programming errors (a developer reads them, but keep the catalogue complete)
    "Could not determine name for option with declarations {decls!r}":
        "Không xác định được tên tùy chọn từ {decls!r}",
    "No options defined but a name was passed ({name}). Did you mean to declare an argument "
    "instead? Did you mean to pass '--{name}'?":
        "Chưa khai báo tùy chọn nào nhưng có tên ({name}): khai báo tham số, hoặc ghi '--{name}'?",
    "Arguments take exactly one parameter declaration, got {length}: {decls}.":
        "Tham số chỉ nhận đúng một khai báo, có {length}: {decls}.",
    "Name '{name}' defined twice": "Tên '{name}' được khai báo hai lần",
    "Boolean option {decl!r} cannot use the same flag for true/false.":
        "Tùy chọn đúng/sai {decl!r} không dùng cùng một cờ cho cả hai giá trị.",
    "d": "d",
}

# (singular, plural) -> Vietnamese (no plural forms in Vietnamese).
PLURALS: dict[tuple[str, str], str] = {
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"):
        "Thừa tham số không dùng đến ({args})",
    ("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."):
        "Cần {nargs} giá trị nhưng đã ghi {len}.",
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"):
        "(Có phải ý là: {possibilities}?)",
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."):
        "Tùy chọn {name} cần ghi giá trị ngay sau nó.",
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."):
        "“{value}” không hợp lệ: ghi một trong {choices}.",
    ("{value!r} does not match the format {format}.",
     "{value!r} does not match the formats {formats}."):
        "“{value}” không đúng dạng {formats}.",
    ("{len_type} values are required, but {len_value} was given.",
     "{len_type} values are required, but {len_value} were given."):
        "Cần {len_type} giá trị nhưng đã ghi {len_value}.",
}


class _SafeDict(dict):
    def __missing__(self, key):       # a placeholder click did not pass
        return ""


class VietnameseTranslations(gettext.NullTranslations):
    """The catalogue as a gettext translation (English passes through when unknown)."""

    def gettext(self, message: str) -> str:
        return CATALOGUE.get(message, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        vi = PLURALS.get((singular, plural))
        if vi is None:
            return singular if n == 1 else plural
        return _Partial(vi)


class _Partial(str):
    """A plural translation naming both click's placeholders; formatting leaves the one
    click did not pass empty (Vietnamese has one form for both)."""

    def format(self, *args, **kwargs):  # noqa: A003 - str.format
        return str(self).format_map(_SafeDict(kwargs))


TRANSLATIONS = VietnameseTranslations()
CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "types",
                 "termui", "utils", "shell_completion", "_termui_impl")


def install() -> None:
    """Bind click's ``_`` and ``ngettext`` to :data:`TRANSLATIONS` (idempotent)."""
    for name in CLICK_MODULES:
        try:
            mod = importlib.import_module(f"click.{name}")
        except ImportError:  # pragma: no cover - a module a click version does not have
            continue
        if hasattr(mod, "_"):
            mod._ = TRANSLATIONS.gettext
        if hasattr(mod, "ngettext"):
            mod.ngettext = TRANSLATIONS.ngettext


# -- metavars and usage lines ------------------------------------------------------------
TYPE_METAVARS = {"text": "CHUỖI", "integer": "SỐ", "float": "SỐ", "integer range": "SỐ",
                 "float range": "SỐ", "boolean": "CÓ/KHÔNG", "datetime": "NGÀY",
                 "uuid": "MÃ", "file": "TỆP", "filename": "TỆP", "path": "ĐƯỜNG_DẪN",
                 "directory": "THƯ_MỤC", "tệp": "TỆP", "thư mục": "THƯ_MỤC",
                 "đường dẫn": "ĐƯỜNG_DẪN"}


def _vietnamese_metavars(params) -> None:
    for p in params:
        if p.metavar is not None or getattr(p, "is_flag", False) or getattr(p, "count", False):
            continue
        if isinstance(p.type, click.Choice):
            continue            # [csv|json]: the values themselves
        word = TYPE_METAVARS.get(p.type.name)
        if word is None:
            word = "GIÁ_TRỊ"
        if isinstance(p, click.Argument) and p.type.name == "text":
            word = "TÊN"
        p.metavar = word


def vietnamise(cmd: click.Command) -> None:
    """Give a command (and a group's subcommands) Vietnamese usage words and metavars."""
    if cmd.options_metavar == "[OPTIONS]":
        cmd.options_metavar = "[TÙY_CHỌN]"
    _vietnamese_metavars(cmd.params)
    if isinstance(cmd, click.Group):
        if "COMMAND" in (cmd.subcommand_metavar or ""):
            cmd.subcommand_metavar = "LỆNH [THAM_SỐ]..."
        for sub in cmd.commands.values():
            vietnamise(sub)


class VnCommand(click.Command):
    """A command whose usage line and metavars are Vietnamese."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[TÙY_CHỌN]")
        super().__init__(*args, **kwargs)
        _vietnamese_metavars(self.params)

    def get_params(self, ctx):
        params = super().get_params(ctx)
        _vietnamese_metavars(params)   # also options added after construction
        return params


class VnGroup(click.Group):
    """A group whose subcommands and subgroups are :class:`VnCommand` / :class:`VnGroup`."""

    command_class = VnCommand
    group_class = type              # subgroups are of this class

    def add_command(self, cmd, name=None):
        """A command made elsewhere with plain click (``@click.command`` then
        ``cli.add_command``) gets the Vietnamese usage line and metavars too."""
        vietnamise(cmd)
        super().add_command(cmd, name)

    def resolve_command(self, ctx, args):
        """An unknown command: click's message, plus the list of commands when click has
        no close match to suggest (so the officer sees what to type)."""
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            if "Có phải ý là" not in exc.message and args and not args[0].startswith("-"):
                exc.message += " Các lệnh: " + ", ".join(self.list_commands(ctx)) + "."
            raise

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[TÙY_CHỌN]")
        kwargs.setdefault("subcommand_metavar", "LỆNH [THAM_SỐ]...")
        super().__init__(*args, **kwargs)
        _vietnamese_metavars(self.params)

    def get_params(self, ctx):
        params = super().get_params(ctx)
        _vietnamese_metavars(params)
        return params

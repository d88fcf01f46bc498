"""The Flask application of ``bdg-excel serve``.

Handlers parse the request and call the library functions the CLI calls
(:mod:`bdg_excel.workflow`, :mod:`bdg_excel.cycle`, :mod:`bdg_excel.plan.planbook`,
:mod:`bdg_excel.mail`); what they show comes from those results. The rules of a page
that can write into the officer's workspace:

- loopback only, and the Host header must name it (a foreign Host — DNS rebinding — is
  refused);
- every action is a POST carrying this server's CSRF token (and, when the browser sends
  one, an Origin of this server);
- uploads are limited in size (a body longer than the limit is refused from its declared
  length, before a byte of it is read), carry the CSRF token in the address (checked before
  the body is read), get safe names and never replace a file
  (:func:`bdg_excel.cycle.add_to_inbox`);
- downloads are limited to the files of outbox/ that :func:`bdg_excel.cycle.outputs`
  lists (no "..", no absolute path, no link);
- the writing steps take the workspace lock, so a CLI run and the page never write at
  once; a busy workspace is a Vietnamese message, 409, for every action alike;
- errors are Vietnamese messages, never tracebacks; no page shows the workspace's absolute
  path (only its folder name).
"""

from __future__ import annotations

import hmac
import io
import logging
import re
import secrets
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, Response, abort, redirect, render_template, request, send_file, url_for
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from .. import __version__, cycle, workflow
from ..core import clock, vn
from ..core.errors import BdgError, PlanEditError, WorkspaceBusy
from ..core.findings import ERROR, SEVERITY_LABELS
from ..core.workspace import Workspace
from ..intake.ledger import STATUS_LABELS
from ..plan.deadlines import deadline_state
from ..plan.model import period_label
from ..plan.planbook import REPORT_KIND_LABELS, REVIEW_KIND_LABELS, REVIEW_SHEET, UPWARD_LABEL
from ..plan.targets import OP_LABELS, describe
from .jobs import DONE, FAILED, BusyJob, Jobs

log = logging.getLogger("bdg_excel.web")

LOOPBACK = ("127.0.0.1", "localhost", "[::1]", "::1")
MAX_FILES = 200            # files in one drop


def create_app(workspace: str | Path, plan_name: str | None = None, *,
               max_upload: int = cycle.MAX_UPLOAD) -> Flask:
    """The application for one workspace. ``max_upload``: bytes of one file dropped."""
    ws = Workspace.open(workspace)
    app = Flask(__name__)
    # the whole request may hold a few files; each one is checked against max_upload
    app.config.update(MAX_CONTENT_LENGTH=max_upload * 4 + 1024 * 1024,
                      MAX_FORM_MEMORY_SIZE=1024 * 1024)
    app.json.ensure_ascii = False
    app.url_map.merge_slashes = False     # "/tai//etc/passwd" is refused, not redirected
    csrf = secrets.token_urlsafe(32)
    jobs = Jobs()
    app.extensions["bdg"] = {"ws": ws, "jobs": jobs, "csrf": csrf}

    def load():
        plan = workflow.load(ws, plan_name)
        raw = (request.values.get("ky") or "").strip() or None
        period = workflow.check_period(plan, raw, clock.today())
        return plan, period

    # -- rules for every request ---------------------------------------------------------
    @app.before_request
    def guard():
        host = (request.headers.get("Host") or "").strip().lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if name not in LOOPBACK:
            return _message("Địa chỉ không hợp lệ",
                            "Trang này chỉ mở được tại địa chỉ 127.0.0.1 trên máy này.", 400)
        if request.method == "POST":
            origin = request.headers.get("Origin")
            if origin and origin != "null" and urlsplit(origin).netloc.lower() != host:
                return _message("Yêu cầu bị từ chối",
                                "Yêu cầu đến từ một trang khác: thao tác không được thực hiện.",
                                403)
            # the declared length decides before a byte of the body is read
            if (request.content_length or 0) > app.config["MAX_CONTENT_LENGTH"]:
                raise RequestEntityTooLarge()
            # the token travels in the address (or a header) where a body may be large:
            # an upload's body is read only once the token is right
            sent = request.args.get("csrf") or request.headers.get("X-CSRF-Token") or ""
            if not sent and request.mimetype != "multipart/form-data":
                sent = request.form.get("csrf", "")
            if not hmac.compare_digest(sent.encode(), csrf.encode()):
                return _message("Yêu cầu bị từ chối",
                                "Mã bảo vệ của trang không đúng hoặc đã cũ: tải lại trang rồi "
                                "thử lại.", 403)
        return None

    @app.after_request
    def headers(resp: Response) -> Response:
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        resp.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; "
                                "frame-ancestors 'none'; form-action 'self'")
        resp.headers["Cache-Control"] = "no-store"   # downloads too (send_file says no-cache)
        return resp

    @app.context_processor
    def common():
        return {"csrf": csrf, "version": __version__, "ws": ws, "STATUS_LABELS": STATUS_LABELS,
                "private": private,
                "SEVERITY_LABELS": SEVERITY_LABELS, "ERROR": ERROR, "dmy": _dmy,
                "running": jobs.running(), "OUTPUT_GROUPS": cycle.OUTPUT_GROUPS,
                "STATE_LABELS": workflow.STATE_LABELS, "describe": describe,
                "deadline_state": deadline_state, "period_label": period_label,
                "due": _due}

    # -- errors ----------------------------------------------------------------------------
    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_):
        return _message("Tệp quá lớn", f"Mỗi tệp tối đa {cycle.size_text(max_upload)}, mỗi lần "
                        f"thả tối đa {cycle.size_text(app.config['MAX_CONTENT_LENGTH'])}. Không tệp "
                        "nào được lưu.", 413)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        texts = {404: "Không có trang này.", 405: "Thao tác này không dùng được theo cách đó.",
                 400: "Yêu cầu không hợp lệ."}
        return _message("Không thực hiện được", texts.get(exc.code, "Yêu cầu không hợp lệ."),
                        exc.code or 400)

    def private(text) -> str:
        """A library message as the page shows it: the workspace's absolute path becomes
        its folder name (a page never shows where the workspace lies on the disk)."""
        return str(text).replace(str(ws.root), ws.root.name)

    @app.errorhandler(WorkspaceBusy)
    def busy(exc):
        return _message("Thư mục làm việc đang bận", private(exc), 409)

    @app.errorhandler(PlanEditError)
    def edit_refused(exc):
        return _message("Chưa lưu", str(exc), 400, back=url_for("plan_page"))

    @app.errorhandler(BdgError)
    def bdg_error(exc):
        return _message("Không thực hiện được", private(exc), 400)

    @app.errorhandler(Exception)
    def unexpected(exc):
        log.exception("unexpected error")
        return _message("Lỗi không mong đợi",
                        f"Lỗi không mong đợi ({type(exc).__name__}). Không tệp nào bị xóa; xem "
                        "cửa sổ dòng lệnh đã chạy bdg-excel serve để biết chi tiết.", 500)

    # -- pages -----------------------------------------------------------------------------
    @app.get("/")
    def index():
        plan, period = load()
        ov = cycle.overview(ws, plan, period, today=clock.today())
        return render_template("index.html", plan=plan, period=period, ov=ov,
                               periods=_periods(plan))

    saved: dict[str, tuple[str, list]] = {}    # what a correction changed, by its id

    @app.get("/ke-hoach")
    def plan_page():
        from ..plan import catalog, source_text
        from ..plan.planbook import check_plan_file

        plan, period = load()
        path = ws.plan_path(plan_name)
        review = source_text.review_view(plan.review, source_text.load_text(path))
        return render_template("plan.html", plan=plan, period=period,
                               findings=check_plan_file(path), path=path,
                               responsible=plan.responsible(), review=review,
                               national=catalog.load().targets, UNSURE=source_text.UNSURE,
                               saved=saved.get(request.args.get("da_luu", "")),
                               OP_LABELS=OP_LABELS, KIND_LABELS=REPORT_KIND_LABELS,
                               REVIEW_LABELS=REVIEW_KIND_LABELS,
                               text_name=source_text.text_path(path).name,
                               subject=lambda item: _subject(plan, item),
                               num=lambda x: vn.format_number(x) if x is not None else "",
                               due_input=_due_input)

    @app.post("/ke-hoach/sua")
    def correct_plan():
        """One correction of the plan workbook (a target row, a national link, a unit's
        indicators and tasks, a report deadline) or a review item confirmed as right; the
        workspace lock is held while the workbook is written."""
        from ..plan import edit

        plan, period = load()
        path = ws.plan_path(plan_name)
        form = request.form
        kind, ref = form.get("loai", ""), form.get("ma", "")
        note = f"Đã sửa trên trang web ngày {_dmy(clock.today())}."

        def field(name: str):
            """A field the form sent (empty: clear the cell); one it did not send: keep."""
            return form.get(name, edit.KEEP)

        with ws.lock():
            if form.get("xac_nhan"):       # the item is right as read: nothing to correct
                if kind not in REVIEW_KIND_LABELS:
                    abort(400)
                changes = edit.confirm(path, kind, ref, f"Đã xem, đúng (ngày "
                                       f"{_dmy(clock.today())}).")
            elif kind == "target":
                changes = edit.set_target(path, ref, op=field("so_sanh"), value=field("gia_tri"),
                                          max=field("toi_da"), unit=field("don_vi_tinh"),
                                          year=field("nam"), text=field("noi_dung"),
                                          review_note=note)
            elif kind == "national":
                changes = edit.set_national(path, ref, form.get("ma_quoc_gia", ""),
                                            review_note=note)
            elif kind == "assignment":
                changes = edit.set_assignment(path, ref, indicators=field("chi_tieu"),
                                              tasks=field("nhiem_vu"), review_note=note)
            elif kind == "deadline":
                changes = edit.set_deadline(path, ref, due=field("han"), to=field("gui_ve"),
                                            new_kind=field("loai_moi") or edit.KEEP,
                                            review_note=note)
            else:
                abort(400)
        key = secrets.token_urlsafe(8)
        saved[key] = (path.name, [str(c) for c in changes if c.sheet != REVIEW_SHEET]
                      or ["đã ghi nhận là đúng"] * bool(changes))
        while len(saved) > 50:
            saved.pop(next(iter(saved)))
        return redirect(url_for("plan_page", ky=form.get("ky", ""), da_luu=key)
                        + (f"#{form['neo']}" if re.fullmatch(r"[a-z0-9-]{1,40}",
                                                             form.get("neo", "")) else ""),
                        code=303)

    @app.get("/tai-ve")
    def downloads():
        plan, period = load()
        groups: dict[str, list] = {}
        for o in cycle.outputs(ws):
            groups.setdefault(o.group, []).append(o)
        return render_template("downloads.html", plan=plan, period=period, groups=groups)

    @app.get("/tai/<path:rel>")
    def download(rel: str):
        path = cycle.output_file(ws, rel)
        return send_file(path, as_attachment=True, download_name=path.name)

    @app.get("/xuat/<fmt>")
    def export(fmt: str):
        plan, period = load()
        text = workflow.export(ws, plan, period, fmt)
        mime = "text/csv" if fmt == "csv" else "application/json"
        name = f"du-lieu_{plan.name}_{period}.{fmt}"
        return send_file(io.BytesIO(text.encode("utf-8")), mimetype=f"{mime}; charset=utf-8",
                         as_attachment=True, download_name=name)

    @app.get("/viec/<job_id>")
    def job_page(job_id: str):
        job = jobs.get(job_id)
        if job is None:
            abort(404)
        return render_template("job.html", job=job, DONE=DONE, FAILED=FAILED,
                               period=request.args.get("ky", ""))

    @app.get("/viec/<job_id>.json")
    def job_json(job_id: str):
        job = jobs.get(job_id)
        if job is None:
            abort(404)
        return {"state": job.state, "done": job.done, "total": job.total,
                "percent": job.percent}

    # -- actions ---------------------------------------------------------------------------
    def start(label: str, kind: str, work):
        # a workspace busy with a command answers 409 here, like an upload: not a job that
        # fails (a command that starts in the instant between is still caught by the job)
        if jobs.running() is None:
            with ws.lock():
                pass
        try:
            job = jobs.start(label, kind, work)
        except BusyJob as exc:
            return _message("Đang bận", str(exc), 409)
        return redirect(url_for("job_page", job_id=job.id, ky=request.form.get("ky", "")),
                        code=303)

    @app.post("/tao-bieu")
    def generate():
        plan, period = load()
        return start(f"Tạo biểu mẫu kỳ {period}", "generate", lambda progress: workflow.generate(
            ws, plan, period, workers=1, progress=progress, now=clock.now()))

    @app.post("/tong-hop")
    def consolidate():
        plan, period = load()
        return start(f"Tổng hợp kỳ {period}", "consolidate",
                     lambda progress: workflow.consolidate_workspace(
                         ws, plan, period, workers=1, progress=progress, now=clock.now()))

    @app.post("/du-thao")
    def draft():
        plan, period = load()     # the draft of the narrative report, as report --draft
        path = workflow.draft_report(ws, plan, period, now=clock.now())
        return send_file(path, as_attachment=True, download_name=path.name)

    def mailing(send, label: str, kind: str):
        from .. import mail

        plan, period = load()
        draft = request.form.get("cach") != "gui"
        test_to = (request.form.get("thu_thu") or "").strip() or None
        if test_to and (not mail.is_address(test_to) or any(c in test_to for c in "\r\n,;")):
            return _message("Không thực hiện được", f"“{test_to}” không phải địa chỉ thư.", 400)
        raw_due = (request.form.get("han_moi") or "").strip()
        try:
            new_due = date.fromisoformat(raw_due) if raw_due else None
        except ValueError:
            return _message("Không thực hiện được", f"Hạn mới “{raw_due}” không phải là ngày.",
                            400)
        config = ws.config()
        settings = None if draft else mail.smtp_settings(config)
        what = "viết thư nháp" if draft else "gửi thư"
        return start(f"{label} kỳ {period} ({what})", kind, lambda progress: send(
            ws, plan, period, settings=settings, dry_run=draft, test_to=test_to, config=config,
            units=None, now=clock.now(), new_due=new_due, progress=progress))

    @app.post("/gui-bieu")
    def send():
        return mailing(workflow.send_forms, "Gửi biểu", "mail")

    @app.post("/nhac")
    def remind():
        return mailing(workflow.send_reminders, "Nhắc đơn vị", "mail")

    @app.post("/tai-thu")
    def fetch():
        from .. import mail

        plan, period = load()
        config = ws.config()
        settings = mail.imap_settings(config)
        folder = (config.get("imap") or {}).get("folder") or "INBOX"
        return start("Tải tệp đính kèm từ hộp thư", "fetch", lambda progress: workflow.fetch_mail(
            ws, settings, folder=folder, since=None, mark_seen=False, now=clock.now()))

    @app.post("/nhan-tep")
    def upload():
        plan, period = load()
        files = [f for f in request.files.getlist("tep") if f and f.filename]
        if not files:
            return _message("Chưa chọn tệp", "Chọn hoặc kéo thả tệp Excel các đơn vị gửi về.",
                            400)
        if len(files) > MAX_FILES:
            return _message("Quá nhiều tệp", f"Mỗi lần thả tối đa {MAX_FILES} tệp.", 400)
        saved, problems = [], []
        for f in files:
            data = f.read(max_upload + 1)
            try:
                saved.append(cycle.add_to_inbox(ws, f.filename, data, now=clock.now(),
                                                max_bytes=max_upload))
            except WorkspaceBusy:
                raise
            except BdgError as exc:
                problems.append(private(exc))
        return render_template("uploaded.html", plan=plan, period=period, saved=saved,
                               problems=problems), (200 if saved else 400)

    return app


def _message(title: str, text: str, code: int, back: str | None = None):
    return render_template("message.html", title=title, text=text, back=back), code


def _dmy(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    s = str(value)
    return f"{s[8:10]}/{s[5:7]}/{s[:4]}" if len(s) >= 10 else s


def _due(text: str | None, yearly: str = " hằng năm") -> str:
    """A plan's ``due`` as people write it: "MM-DD" → "30/11 hằng năm" (``yearly`` after the
    day), ISO → "01/12/2026"."""
    if not text:
        return ""
    parts = text.split("-")
    if len(parts) == 2:
        return f"{parts[1]}/{parts[0]}{yearly}"
    return _dmy(text)


def _due_input(text: str | None) -> str:
    """A plan's ``due`` as the officer types it in a form: "MM-DD" → "30/11", ISO →
    "01/12/2026"."""
    return _due(text, yearly="")


def _subject(plan, item) -> dict:
    """What review item ``item`` is about in the plan as it is now: which correction form
    fits it (``form``), the thing itself, and its current value in words (``now``)."""
    from ..plan import edit

    goal = re.fullmatch(r"Mục tiêu (\d+)", item.ref) if item.kind == "target" else None
    if goal:   # a goal number plan import decided (the sheets Mục tiêu, Chỉ tiêu correct it)
        g = next((g for g in plan.goals if g.number == int(goal[1])), None)
        if g is not None:
            codes = [i.code for i in plan.indicators if i.goal == g.number]
            return {"form": None, "now": f"mục tiêu {g.number}: {g.title}; chỉ tiêu "
                                         f"{', '.join(codes) or '(chưa có)'}"}
    if item.kind in ("target", "national"):
        t = plan.target(item.ref)
        if t is not None:
            now = describe(t) + (f" (năm {t.year})" if t.year else "") + \
                f"; mã quốc gia: {t.national or 'không có'}"
            return {"form": item.kind, "target": t, "now": now}
    elif item.kind in ("assignment", "unit"):
        u = plan.unit(item.ref)
        if u is not None:
            return {"form": "assignment", "unit": u,
                    "now": f"chỉ tiêu {', '.join(u.indicators) or '(chưa có)'}; "
                           f"{len(u.tasks)} nhiệm vụ"}
    elif item.kind == "deadline":
        kind = edit.report_kind(item.ref)
        r = next((r for r in plan.reports if r.kind == kind), None)
        if kind in REPORT_KIND_LABELS:
            now = (f"{REPORT_KIND_LABELS[kind]}, hạn {_due(r.due) or 'chưa có'}"
                   if r else "chưa có hạn loại này")
            return {"form": "deadline", "kind": kind, "report": r, "now": now}
    elif item.kind == "upward":
        up = plan.upward
        now = (f"gửi {up.to or '(chưa rõ)'}, hạn {_due(up.due) or 'chưa có'}" if up
               else "chưa có")
        return {"form": "deadline", "kind": "upward", "report": up, "now": now}
    return {"form": None, "now": "không còn trong tệp kế hoạch"}


def _periods(plan) -> list[tuple[str, str]]:
    """(period, Vietnamese label) of every report the plan asks for."""
    if not (plan.period_start and plan.period_end):
        return []
    return [(p, period_label(p)) for p, _ in
            plan.periods(range(plan.period_start, plan.period_end + 1))]


__all__ = ["create_app", "LOOPBACK", "MAX_FILES"]

"""Long steps of the web page (generate, send, remind, consolidate) run in a background
thread, one at a time; the page polls the job for its progress and, at the end, its
summary or its error message (Vietnamese, never a traceback)."""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass, field
from typing import Callable

from ..core.errors import BdgError

log = logging.getLogger("bdg_excel.web")

RUNNING, DONE, FAILED = "running", "done", "failed"


@dataclass
class Job:
    id: str
    label: str                        # Vietnamese: "Tạo biểu mẫu" …
    state: str = RUNNING
    done: int = 0
    total: int | None = None
    kind: str = ""                    # what the summary holds: generate | mail | consolidate
    result: object = None
    error: str | None = None

    def progress(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    @property
    def percent(self) -> int | None:
        return int(100 * self.done / self.total) if self.total else None


@dataclass
class Jobs:
    """The jobs of one server; at most one running (the workspace lock makes a second one
    fail anyway: this says so before starting a thread)."""
    jobs: dict[str, Job] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def running(self) -> Job | None:
        return next((j for j in self.jobs.values() if j.state == RUNNING), None)

    def start(self, label: str, kind: str, work: Callable[[Callable[[int, int], None]], object]
              ) -> Job:
        with self.lock:
            busy = self.running()
            if busy:
                raise BusyJob(f"Việc “{busy.label}” đang chạy. Chờ việc đó xong rồi thử lại.")
            job = Job(uuid.uuid4().hex, label, kind=kind)
            self.jobs[job.id] = job
        thread = threading.Thread(target=self._run, args=(job, work), daemon=True,
                                  name=f"bdg-web-{kind}")
        thread.start()
        return job

    @staticmethod
    def _run(job: Job, work) -> None:
        try:
            job.result = work(job.progress)
            job.state = DONE
        except BdgError as exc:
            job.error, job.state = str(exc), FAILED
        except Exception as exc:  # noqa: BLE001 - the page shows a message, the log the rest
            log.exception("job %s failed", job.label)
            job.error = (f"Lỗi không mong đợi ({type(exc).__name__}). Không tệp nào bị xóa; "
                         "xem cửa sổ dòng lệnh đã chạy bdg-excel serve để biết chi tiết.")
            job.state = FAILED

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)


class BusyJob(BdgError):
    """Another job of this page is running."""

"""The board's HTML, rendered on the server. Pure functions of their arguments; every value
from the database goes through ``escape``. No build step: one small inline script keeps
the countdowns ticking and reloads the rows when the server says they changed."""

from __future__ import annotations

from datetime import datetime
from html import escape

from motcua.dossier import LOCAL_ZONE
from services.deadlines.board.service import BoardItem
from services.deadlines.letters.service import LetterTask
from services.deadlines.officers import Officer

_STYLE = """
body{font-family:"DejaVu Sans",system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d232b}
header{background:#8a1c1c;color:#fff;padding:.8rem 1.2rem;display:flex;
justify-content:space-between;align-items:center}
header h1{font-size:1.15rem;margin:0}header form{margin:0}
main{padding:1rem 1.2rem}table{border-collapse:collapse;width:100%;background:#fff}
th,td{padding:.45rem .6rem;border-bottom:1px solid #e1e4e8;text-align:left;font-size:.92rem}
th{background:#eef0f3}tr.overdue td.left{color:#b00020;font-weight:bold}
tr.due_soon td.left{color:#9a6700;font-weight:bold}.muted{color:#667}
.task{background:#fff4d6;padding:.1rem .4rem;border-radius:3px}
button,.button{font:inherit;padding:.25rem .6rem;border:1px solid #8a1c1c;background:#fff;
color:#8a1c1c;border-radius:3px;cursor:pointer;text-decoration:none;display:inline-block}
form.inline{display:inline}.error{color:#b00020;font-weight:bold}
label{display:block;margin:.6rem 0 .2rem}textarea{width:100%;max-width:40rem;height:6rem}
.card{background:#fff;padding:1rem 1.2rem;max-width:44rem}
"""

_BACK = '<p><a href="/board">← Bảng theo dõi</a></p>'
STATUS = {"due_soon": "Sắp đến hạn", "overdue": "Quá hạn", "rescheduled": "Đã hẹn lại"}


def _page(title: str, body: str, *, officer: Officer | None = None, script: str = "") -> str:
    account = ""
    if officer is not None:
        account = (
            f"<span>{escape(officer.display_name)} — đơn vị {escape(officer.unit_code)}</span>"
            '<form method="post" action="/board/logout"><button>Đăng xuất</button></form>'
        )
    return (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<header><h1>{escape(title)}</h1>{account}</header><main>{body}</main>"
        f"{script}</body></html>"
    )


def _local(moment: datetime) -> str:
    return f"{moment.astimezone(LOCAL_ZONE):%H:%M %d/%m/%Y}"


def login_page(error: str | None = None) -> str:
    message = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    form = (
        f'<div class="card">{message}<form method="post" action="/board/login">'
        '<label for="username">Tên đăng nhập</label>'
        '<input id="username" name="username" autocomplete="username" required>'
        '<label for="password">Mật khẩu</label>'
        '<input id="password" name="password" type="password" '
        'autocomplete="current-password" required>'
        '<p><button type="submit">Đăng nhập</button></p></form></div>'
    )
    return _page("Motcua — cán bộ trực", form)


def _remaining(seconds: float) -> str:
    """Time left (or overdue) in words an officer reads at a glance."""
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    text = f"{days} ngày {hours} giờ" if days else f"{hours} giờ {mins} phút"
    return f"Quá hạn {text}" if seconds < 0 else f"Còn {text}"


def _row(item: BoardItem, now: datetime) -> str:
    status = STATUS.get(item.status, item.status)
    if item.status == "overdue" and item.rescheduled:
        status = "Quá hạn lần hai — báo cáo lãnh đạo"
    letter_link = f"/board/dossiers/{escape(item.dossier_id)}/letter"
    if item.needs_letter:
        letter = f'<a class="button task" href="{letter_link}">Lập phiếu xin lỗi</a>'
        if item.apology_deadline is not None:
            left = (item.apology_deadline - now).total_seconds()
            letter += (
                f'<br><span class="muted">Hạn gửi {_local(item.apology_deadline)}: </span>'
                f'<span class="letter-left" data-due="{item.apology_deadline.timestamp():.0f}">'
                f"{_remaining(left)}</span>"
            )
    elif item.letter_status == "issued":
        letter = (
            f'<a href="{letter_link}.pdf" target="_blank">Phiếu {escape(item.letter_number or "")}'
            f"</a> (bản {item.letter_version or 1})"
        )
    else:
        letter = '<span class="muted">—</span>'
    if item.acknowledged_by:
        ack = f'<span class="muted">Đã xem: {escape(item.acknowledged_by)}</span>'
    else:
        ack = (
            f'<form class="inline" method="post" '
            f'action="/board/dossiers/{escape(item.dossier_id)}/ack">'
            "<button>Đã xem</button></form>"
        )
    due_epoch = item.due_at.timestamp()
    return (
        f'<tr class="{escape(item.status)}" data-dossier="{escape(item.dossier_id)}">'
        f"<td>{escape(item.dossier_code)}</td><td>{escape(item.procedure_code)}</td>"
        f"<td>{escape(item.unit_code)}</td><td>{_local(item.due_at)}</td>"
        f'<td class="left" data-due="{due_epoch:.0f}">{_remaining(item.seconds_left(now))}</td>'
        f"<td>{escape(status)}</td><td>{letter}</td><td>{ack}</td></tr>"
    )


def board_rows(items: list[BoardItem], now: datetime) -> str:
    if not items:
        return '<tr><td colspan="8" class="muted">Không có hồ sơ sắp đến hạn hay quá hạn.</td></tr>'
    return "".join(_row(item, now) for item in items)


_LIVE_SCRIPT = """<script>
const rows = document.getElementById("rows");
function words(s){const m=Math.floor(Math.abs(s)/60),d=Math.floor(m/1440),h=Math.floor(m%1440/60);
const t=d?`${d} ngày ${h} giờ`:`${h} giờ ${m%60} phút`;return s<0?`Quá hạn ${t}`:`Còn ${t}`}
function tick(){const now=Date.now()/1000;for(const c of rows.querySelectorAll("[data-due]"))
{c.textContent=words(c.dataset.due-now)}}
async function reload(){const r=await fetch("/board/rows",{cache:"no-store"});
if(r.status===401){location.href="/board/login";return}
rows.innerHTML=await r.text();document.body.dataset.updates=(+document.body.dataset.updates||0)+1}
const feed=new EventSource("/board/events");
feed.addEventListener("changed",reload);
setInterval(tick,1000);
</script>"""


def board_page(officer: Officer, items: list[BoardItem], now: datetime) -> str:
    table = (
        '<p class="muted">Cập nhật trực tiếp; sắp xếp theo thời gian còn lại.</p>'
        "<table><thead><tr><th>Mã hồ sơ</th><th>Thủ tục</th><th>Đơn vị</th><th>Hẹn trả</th>"
        "<th>Thời gian</th><th>Tình trạng</th><th>Phiếu xin lỗi</th><th></th></tr></thead>"
        f'<tbody id="rows">{board_rows(items, now)}</tbody></table>'
    )
    return _page("Bảng theo dõi hạn giải quyết hồ sơ", table, officer=officer, script=_LIVE_SCRIPT)


def letter_page(
    officer: Officer,
    task: LetterTask,
    *,
    suggested_days: int,
    error: str | None = None,
    reason: str = "",
) -> str:
    message = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    facts = (
        f"<p>Hồ sơ <b>{escape(task.dossier_code)}</b> — thủ tục {escape(task.procedure_code)}"
        f" — hẹn trả {_local(task.original_due_at)}</p>"
    )
    action = f"/board/dossiers/{escape(task.dossier_id)}/letter"
    reason_field = (
        '<label for="reason">Lý do chậm trễ</label>'
        f'<textarea id="reason" name="reason" required maxlength="2000">'
        f"{escape(reason or task.last_reason or '')}</textarea>"
    )
    if task.status == "draft":
        form = (
            f'<form method="post" action="{action}">{reason_field}'
            '<label for="extension_working_days">Gia hạn thêm (ngày làm việc)</label>'
            f'<input id="extension_working_days" name="extension_working_days" type="number" '
            f'min="1" max="60" value="{suggested_days}" required>'
            "<p>Ngày hẹn mới được tính theo ngày làm việc (trừ thứ Bảy, Chủ nhật, ngày lễ) và "
            "chỉ được hẹn lại một lần.</p>"
            '<p><button type="submit">Xác nhận và phát hành phiếu xin lỗi</button></p></form>'
        )
    else:
        assert task.new_due_at is not None
        form = (
            f"<p>Đã phát hành phiếu số <b>{escape(task.letter_number or '')}</b>, bản "
            f"{task.last_version}; ngày hẹn mới {_local(task.new_due_at)}. "
            f'<a href="{action}.pdf" target="_blank">Mở / in phiếu</a></p>'
            f'<form method="post" action="{action}">{reason_field}'
            "<p>Đính chính tạo bản mới của cùng phiếu; ngày hẹn mới giữ nguyên.</p>"
            '<p><button type="submit">Phát hành bản đính chính</button></p></form>'
        )
    body = (
        f'<div class="card">{message}{facts}{form}<p><a href="/board">← Bảng theo dõi</a></p></div>'
    )
    return _page("Phiếu xin lỗi và hẹn lại ngày trả kết quả", body, officer=officer)


def message_page(title: str, text: str, officer: Officer | None = None) -> str:
    body = (
        f'<div class="card"><p>{escape(text)}</p><p><a href="/board">← Bảng theo dõi</a></p></div>'
    )
    return _page(title, body, officer=officer)

"""The printable subject report: GET /reports/subject/{accountNumber} (auditor), as HTML.

Like GraphQL, it shows personal data only with a declared purpose (X-Purpose, or ?purpose=
for a browser), and records the access before the page is sent; no record, no page.
"""

from __future__ import annotations

import html
import logging
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

import anyio.to_thread
from litestar import Request, get
from litestar.exceptions import ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.response import Response

from adapters.bootstrap import Services
from adapters.notify.campaign_sealer import CampaignSealer
from adapters.personal_data import Reader
from adapters.subject_report import SubjectReport, subject_report
from api.auth import Principal
from api.graphql.personal import MASK, is_erased
from api.graphql.purpose import HEADER, declare_purpose
from domain.errors import ValidationError
from domain.identity import check_account_number

log = logging.getLogger("ledger.reports")


def report_route(
    services: Services, authenticate: Callable[[Request[Any, Any, Any]], Principal],
    audit_timeout: float,
) -> HTTPRouteHandler:
    """The route handler of the printable report; `authenticate` checks the subjectReport right
    (401 without a valid token, 403 without the right)."""

    @get("/reports/subject/{account_number:str}", media_type="text/html")
    async def subject_document(request: Request[Any, Any, Any], account_number: str) -> Any:
        """The subject's report as a printable HTML document."""
        principal = authenticate(request)
        number = check_account_number(account_number, "accountNumber")
        try:
            purpose = await declare_purpose(services, request.headers.get(HEADER) or
                                            request.query_params.get("purpose"))
        except ValidationError as error:
            raise ValidationException(error.message) from None
        report = await anyio.to_thread.run_sync(
            partial(subject_report, services.ledger, services.pool, number,
                    CampaignSealer(services.keys)))
        show = purpose is not None and purpose.covers(number)  # the right: checked above
        reads = {f"HeldData.fields.{k}" for h in report.held for k, v in h.fields.items()
                 if v is not None and not is_erased(v)} if show else set()
        if reads:
            reader = Reader(actor=principal.subject, role=principal.role.value,
                            purpose=purpose.text if purpose else "", api="report",
                            request_id=request.headers.get("x-request-id") or uuid.uuid4().hex)
            try:
                await services.audit.record_async(reader, {number: reads}, audit_timeout)
            except Exception:
                log.exception("access record not stored; report withheld")
                return Response("personal data withheld: the access could not be recorded",
                                status_code=503, media_type="text/plain")
        return document(report, show)

    return subject_document


def document(report: SubjectReport, show: bool) -> str:
    """The report as one self-contained HTML page (values masked unless `show`)."""
    e = html.escape
    held = "".join(
        f"<tr><td>{h.version}</td><td>{e(h.event_type)}</td><td>{h.recorded_at:%Y-%m-%d %H:%M}"
        f"</td><td>{e(h.appeal_number or '')}</td><td>{e(k)}</td><td>{e(_shown(v, show))}</td>"
        "</tr>" for h in report.held for k, v in h.fields.items() if v is not None)
    accesses = "".join(
        f"<tr><td>{a.at:%Y-%m-%d %H:%M:%S}</td><td>{e(a.actor)}</td><td>{e(a.role)}</td>"
        f"<td>{e(a.purpose)}</td><td>{e(', '.join(a.fields))}</td><td>{e(a.api)}</td></tr>"
        for a in report.accesses)
    erasures = "".join(
        f"<tr><td>{x.at:%Y-%m-%d %H:%M:%S}</td><td>{e(x.actor)}</td><td>{e(x.ground)}</td></tr>"
        for x in report.erasures)
    return (
        "<!doctype html><html lang=ru><meta charset=utf-8>"
        f"<title>Отчёт субъекту ПДн: {e(report.account_number)}</title>"
        "<style>body{font:12pt serif;margin:2cm}table{border-collapse:collapse;width:100%}"
        "td,th{border:1px solid #444;padding:2pt 4pt;vertical-align:top}</style>"
        f"<h1>Персональные данные по лицевому счёту {e(report.account_number)}</h1>"
        f"<p>Сформирован {report.generated_at:%Y-%m-%d %H:%M:%S} UTC (152-ФЗ, ст. 14).</p>"
        "<h2>Обрабатываемые данные</h2><table><tr><th>Версия</th><th>Событие</th>"
        "<th>Записано</th><th>Обращение</th><th>Поле</th><th>Значение</th></tr>"
        f"{held}</table><h2>Доступ к данным</h2><table><tr><th>Когда</th><th>Кто</th>"
        "<th>Роль</th><th>Цель</th><th>Поля</th><th>Через</th></tr>"
        f"{accesses}</table><h2>Удаление</h2><table><tr><th>Когда</th><th>Кто</th>"
        f"<th>Основание</th></tr>{erasures}</table></html>"
    )


def _shown(value: Any, show: bool) -> str:
    if is_erased(value) or show:
        if isinstance(value, dict):
            return "; ".join(f"{k}: {v}" for k, v in value.items() if v is not None)
        return str(value)
    return MASK
